/**
 * The mkdocs theme of every TechDocs site the platform generates (the platform's own docs, the
 * new-service skeleton's). mkdocs-techdocs-core keeps the settings of a `material` theme
 * (techdocs_core/core.py 1.7.1: only another theme is replaced). `font: false` makes
 * mkdocs-material link no Google Fonts stylesheet: Backstage's TechDocs reader shows a page only
 * once every stylesheet of it has loaded (TechDocsShadowDom in @backstage/plugin-techdocs-react),
 * so where fonts.googleapis.com cannot be reached (an air-gapped cluster, a proxy that blocks it)
 * the page stayed blank behind its progress bar; and readers' browsers no longer ask Google.
 */
export const TECHDOCS_THEME = { name: 'material', font: false } as const;
