/**
 * Test values for every `${VAR}` of the portal's production config layer, as the stack's Secrets
 * and the portal-env ConfigMap provide them in the cluster. Nothing here is a real credential.
 */
export const PORTAL_TEST_ENV: Readonly<Record<string, string>> = {
  BACKSTAGE_BASE_URL: 'https://backstage.example.com',
  POSTGRES_HOST: 'portal-db-rw.backstage.svc',
  POSTGRES_PORT: '5432',
  POSTGRES_USER: 'backstage',
  POSTGRES_PASSWORD: 'test-password',
  POSTGRES_DB: 'backstage',
  AUTH_GITLAB_CLIENT_ID: 'client-id',
  AUTH_GITLAB_CLIENT_SECRET: 'client-secret',
  GITLAB_URL: 'https://gitlab.example.com',
  GITLAB_HOST: 'gitlab.example.com',
  GITLAB_PLATFORM_GROUP: 'acme-platform',
  GITLAB_CLAIMS_PROJECT: 'claims',
  GITLAB_CUSTOMERS_GROUP: 'acme-platform/customers',
  GITLAB_CUSTOMERS_GROUP_ENTITY: 'customers',
  GITLAB_TOKEN: 'test-gitlab-read-token',
  GITLAB_SCAFFOLDER_TOKEN: 'test-gitlab-scaffolder-token',
  GITLAB_WEBHOOK_SECRET: 'test-gitlab-webhook-secret',
  BACKEND_EXTERNAL_ACCESS_TOKEN: 'test-external-access-token',
  PORTAL_COMMIT_EMAIL: 'portal@backstage.example.com',
};
