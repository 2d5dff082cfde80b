// Command helm-template renders a Helm chart the way `helm template` does (Helm's own install
// action, client-only dry run), so that the tests apply what a chart really installs (its
// ClusterRoles, their aggregation rules and bindings) instead of a copy of it.
//
// Usage: helm-template -chart DIR -name RELEASE -namespace NS -version V [-values FILE.json]
//
// The charts come from the Go modules of their projects (Crossplane's cluster/charts/crossplane,
// Kro's helm/), whose Chart.yaml carries a placeholder version that the projects' release builds
// replace with the release; -version does the same. Prints the manifest (YAML documents).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

func main() {
	dir := flag.String("chart", "", "the chart's directory")
	name := flag.String("name", "", "the release name")
	namespace := flag.String("namespace", "default", "the release namespace")
	version := flag.String("version", "", "the chart and app version of the release")
	kubeVersion := flag.String("kube-version", "", "the Kubernetes version the chart sees")
	valuesFile := flag.String("values", "", "a JSON file of values")
	flag.Parse()
	if *dir == "" || *name == "" || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: helm-template -chart DIR -name RELEASE -namespace NS -version V [-kube-version V] [-values FILE.json]")
		os.Exit(2)
	}
	if err := run(*dir, *name, *namespace, *version, *kubeVersion, *valuesFile); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(dir, name, namespace, version, kubeVersion, valuesFile string) error {
	chart, err := loader.Load(dir)
	if err != nil {
		return err
	}
	chart.Metadata.Version = version
	chart.Metadata.AppVersion = version
	values := map[string]any{}
	if valuesFile != "" {
		data, err := os.ReadFile(valuesFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &values); err != nil {
			return fmt.Errorf("%s: %w", valuesFile, err)
		}
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = name
	install.Namespace = namespace
	if kubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(kubeVersion)
		if err != nil {
			return err
		}
		install.KubeVersion = kv
	}
	release, err := install.Run(chart, values)
	if err != nil {
		return err
	}
	fmt.Print(release.Manifest)
	return nil
}
