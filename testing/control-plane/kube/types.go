// Package kube describes the Kubernetes API types offline: the OpenAPI schema and the REST
// mapping of every built-in kind of the pinned Kubernetes release, plus those of the
// CustomResourceDefinitions a caller registers. The schemas are the ones the API server itself
// serves: the built-in kinds from k8s.io/kubernetes' generated OpenAPI definitions, the CRDs
// through the apiextensions builder that produces the server's /openapi/v3 documents.
//
// Engines that normally ask a live API server for these (Kro's graph builder, the admission
// policy type checker) take them from here until a real kube-apiserver joins this module.
package kube

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/cel/openapi/resolver"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/validation/spec"
	generatedopenapi "k8s.io/kubernetes/pkg/generated/openapi"
)

// Types resolves OpenAPI schemas (resolver.SchemaResolver) and REST mappings (through
// RESTMapper) of the built-in kinds and of registered CRDs.
type Types struct {
	builtin *resolver.DefinitionsSchemaResolver
	mapper  *meta.DefaultRESTMapper
	crds    map[schema.GroupVersionKind]*spec.Schema
}

var _ resolver.SchemaResolver = (*Types)(nil)

var (
	builtinOnce   sync.Once
	builtinScheme *runtime.Scheme
	builtinDefs   *resolver.DefinitionsSchemaResolver
)

// Scheme holds the built-in kinds: client-go's scheme (every API group of the release) and
// apiextensions, which client-go does not carry. The OpenAPI definitions of the release name
// their kind only through the scheme that registers it.
func Scheme() *runtime.Scheme {
	builtinOnce.Do(func() {
		builtinScheme = runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{
			clientgoscheme.AddToScheme,
			apiextensionsv1.AddToScheme,
			apiextensionsv1beta1.AddToScheme,
		} {
			if err := add(builtinScheme); err != nil {
				panic(err)
			}
		}
		builtinDefs = resolver.NewDefinitionsSchemaResolver(
			generatedopenapi.GetOpenAPIDefinitions,
			builtinScheme,
		)
	})
	return builtinScheme
}

// NewTypes knows every built-in kind of the release; add CRDs with AddCRD.
func NewTypes() *Types {
	scheme := Scheme()
	mapper := meta.NewDefaultRESTMapper(scheme.PrioritizedVersionsAllGroups())
	for gvk := range scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") ||
			strings.HasSuffix(gvk.Kind, "Options") || gvk.Kind == "Status" || gvk.Kind == "WatchEvent" {
			continue
		}
		scope := meta.RESTScopeNamespace
		if clusterScoped[gvk.GroupKind()] {
			scope = meta.RESTScopeRoot
		}
		mapper.Add(gvk, scope)
	}
	return &Types{builtin: builtinDefs, mapper: mapper, crds: map[schema.GroupVersionKind]*spec.Schema{}}
}

// RESTMapper maps the known kinds to their resources and scopes.
func (t *Types) RESTMapper() meta.RESTMapper { return t.mapper }

// ResolveSchema returns the schema the API server publishes for a kind, $refs resolved.
func (t *Types) ResolveSchema(gvk schema.GroupVersionKind) (*spec.Schema, error) {
	if s, ok := t.crds[gvk]; ok {
		return s, nil
	}
	return t.builtin.ResolveSchema(gvk)
}

// AddCRD registers every served version of a CRD, with the schema the API server would publish.
func (t *Types) AddCRD(crd *apiextensionsv1.CustomResourceDefinition) error {
	var problems []error
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		s, err := crdSchema(crd, gvk)
		if err != nil {
			problems = append(problems, fmt.Errorf("CRD %s version %s: %w", crd.Name, v.Name, err))
			continue
		}
		t.crds[gvk] = s
		scope := meta.RESTScopeNamespace
		if crd.Spec.Scope == apiextensionsv1.ClusterScoped {
			scope = meta.RESTScopeRoot
		}
		t.mapper.AddSpecific(
			gvk,
			gvk.GroupVersion().WithResource(crd.Spec.Names.Plural),
			gvk.GroupVersion().WithResource(strings.ToLower(crd.Spec.Names.Singular)),
			scope,
		)
	}
	return errors.Join(problems...)
}

// crdSchema follows the API server: the CRD's OpenAPI v3 document as the apiextensions builder
// generates it, then the kind's component with its references resolved, as client-go discovery
// consumers (resolver.ClientDiscoveryResolver) read it.
func crdSchema(crd *apiextensionsv1.CustomResourceDefinition, gvk schema.GroupVersionKind) (*spec.Schema, error) {
	doc, err := builder.BuildOpenAPIV3(crd, gvk.Version, builder.Options{V2: false})
	if err != nil {
		return nil, err
	}
	const prefix = "#/components/schemas/"
	for name, s := range doc.Components.Schemas {
		var gvks []schema.GroupVersionKind
		if err := s.Extensions.GetObject("x-kubernetes-group-version-kind", &gvks); err != nil {
			return nil, err
		}
		for _, g := range gvks {
			if g == gvk {
				return resolver.PopulateRefs(func(ref string) (*spec.Schema, bool) {
					c, ok := doc.Components.Schemas[strings.TrimPrefix(ref, prefix)]
					return c, ok
				}, name)
			}
		}
	}
	return nil, fmt.Errorf("no schema for %v in the generated document: %w", gvk, resolver.ErrSchemaNotFound)
}
