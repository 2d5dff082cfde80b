// Package admission judges ValidatingAdmissionPolicies with the API server's own code: the
// defaulting and validation a create goes through, the type checker that fills
// status.typeChecking, and the admission plugin's matching and CEL evaluation of a request.
package admission

import (
	"fmt"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/kubernetes/pkg/apis/admissionregistration"
	admissionregistrationinstall "k8s.io/kubernetes/pkg/apis/admissionregistration/install"
	"k8s.io/kubernetes/pkg/apis/admissionregistration/validation"

	"platform-as-code/testing/control-plane/kube"
)

// Set holds the policies and bindings of some documents, defaulted as the API server stores
// them.
type Set struct {
	Policies []*admissionregistrationv1.ValidatingAdmissionPolicy
	Bindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// The internal admissionregistration types, their conversions and the v1 defaults.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	admissionregistrationinstall.Install(s)
	return s
}()

var (
	policyGVK  = admissionregistrationv1.SchemeGroupVersion.WithKind("ValidatingAdmissionPolicy")
	bindingGVK = admissionregistrationv1.SchemeGroupVersion.WithKind("ValidatingAdmissionPolicyBinding")
)

// Load decodes the policies and bindings among docs and applies the API server's defaults.
func Load(docs []kube.Document) (*Set, error) {
	set := &Set{}
	for _, d := range docs {
		switch d.Object.GroupVersionKind() {
		case policyGVK:
			p := &admissionregistrationv1.ValidatingAdmissionPolicy{}
			if err := d.Into(p); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Name(), err)
			}
			scheme.Default(p)
			set.Policies = append(set.Policies, p)
		case bindingGVK:
			b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
			if err := d.Into(b); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Name(), err)
			}
			scheme.Default(b)
			set.Bindings = append(set.Bindings, b)
		}
	}
	return set, nil
}

// CheckResult is what the API server says about one policy or binding.
type CheckResult struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OK     bool     `json:"ok"`
	Errors []string `json:"errors,omitempty"`
	// TypeChecked lists the kinds the policy's expressions were type-checked against.
	TypeChecked []string `json:"typeChecked,omitempty"`
}

// Check validates every policy and binding as a create request would, and type-checks every
// policy against the schemas of the kinds it matches. A type-checking warning (which the API
// server only reports in status.typeChecking) is an error here: it is an expression that fails
// at admission time, and with failurePolicy Fail refuses every request it matches. So is a policy
// that cannot be type-checked at all (wildcards, unknown kinds).
func Check(types *kube.Types, set *Set) []CheckResult {
	checker := &validating.TypeChecker{SchemaResolver: types, RestMapper: types.RESTMapper()}
	var results []CheckResult
	names := map[string]bool{}
	for _, p := range set.Policies {
		names[p.Name] = true
		r := CheckResult{Kind: policyGVK.Kind, Name: p.Name}
		internal := &admissionregistration.ValidatingAdmissionPolicy{}
		if err := scheme.Convert(p, internal, nil); err != nil {
			r.Errors = append(r.Errors, err.Error())
		} else {
			for _, e := range validation.ValidateValidatingAdmissionPolicy(internal) {
				r.Errors = append(r.Errors, e.Error())
			}
		}
		for _, gvk := range typeCheckedKinds(types, p) {
			r.TypeChecked = append(r.TypeChecked, gvk.String())
		}
		if len(r.TypeChecked) == 0 {
			r.Errors = append(r.Errors, "no kind to type-check against: the type checker resolves none from spec.matchConstraints.resourceRules (it skips wildcards and unknown resources)")
		}
		for _, w := range checker.Check(p) {
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %s", w.FieldRef, strings.TrimSpace(w.Warning)))
		}
		r.OK = len(r.Errors) == 0
		results = append(results, r)
	}
	for _, b := range set.Bindings {
		r := CheckResult{Kind: bindingGVK.Kind, Name: b.Name}
		internal := &admissionregistration.ValidatingAdmissionPolicyBinding{}
		if err := scheme.Convert(b, internal, nil); err != nil {
			r.Errors = append(r.Errors, err.Error())
		} else {
			for _, e := range validation.ValidateValidatingAdmissionPolicyBinding(internal) {
				r.Errors = append(r.Errors, e.Error())
			}
		}
		if !names[b.Spec.PolicyName] {
			r.Errors = append(r.Errors, fmt.Sprintf("spec.policyName: no ValidatingAdmissionPolicy %q among the files", b.Spec.PolicyName))
		}
		r.OK = len(r.Errors) == 0
		results = append(results, r)
	}
	return results
}

// typeCheckedKinds follows the type checker's choice of kinds (typechecking.go, typesToCheck):
// every group, version and resource of the rules without a wildcard that resolves to a schema.
func typeCheckedKinds(types *kube.Types, p *admissionregistrationv1.ValidatingAdmissionPolicy) []schema.GroupVersionKind {
	if p.Spec.MatchConstraints == nil {
		return nil
	}
	seen := map[schema.GroupVersionKind]bool{}
	var kinds []schema.GroupVersionKind
	noWildcard := func(values []string) bool {
		for _, v := range values {
			if strings.Contains(v, "*") {
				return false
			}
		}
		return len(values) > 0
	}
	for _, rule := range p.Spec.MatchConstraints.ResourceRules {
		if !noWildcard(rule.APIGroups) || !noWildcard(rule.APIVersions) || !noWildcard(rule.Resources) {
			continue
		}
		for _, g := range rule.APIGroups {
			for _, v := range rule.APIVersions {
				for _, res := range rule.Resources {
					resolved, err := types.RESTMapper().KindsFor(schema.GroupVersionResource{Group: g, Version: v, Resource: res})
					if err != nil {
						continue
					}
					for _, gvk := range resolved {
						if _, err := types.ResolveSchema(gvk); err == nil && !seen[gvk] {
							seen[gvk] = true
							kinds = append(kinds, gvk)
						}
					}
				}
			}
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].String() < kinds[j].String() })
	return kinds
}
