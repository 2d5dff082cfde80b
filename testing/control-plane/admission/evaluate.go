package admission

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/cel/environment"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"platform-as-code/testing/control-plane/kube"
)

// Request is an admission request: the operation and the object(s) it carries, as JSON, and
// the labels of the namespace the object is in (the policies' namespaceObject).
type Request struct {
	Operation       string            `json:"operation"`
	Object          map[string]any    `json:"object,omitempty"`
	OldObject       map[string]any    `json:"oldObject,omitempty"`
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
}

// Decision is one policy validation's verdict on a request.
type Decision struct {
	Policy  string `json:"policy"`
	Binding string `json:"binding"`
	Denied  bool   `json:"denied"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Outcome is the admission plugin's answer: allowed unless a Deny binding's policy denied.
type Outcome struct {
	Allowed   bool       `json:"allowed"`
	Decisions []Decision `json:"decisions"`
	Error     string     `json:"error,omitempty"`
}

// Evaluate runs a request through the policies and bindings of set as the API server's
// ValidatingAdmissionPolicy plugin does (generic policy dispatcher): a policy applies when its
// matchConstraints match, a binding when its matchResources match, and each validation is
// evaluated by the plugin's compiled CEL (compilePolicy in plugin.go, re-assembled here from its
// exported parts), under the runtime cost budget, as the cluster admin with an authorizer that
// allows nothing.
func Evaluate(types *kube.Types, set *Set, req Request) Outcome {
	out, err := evaluate(types, set, req)
	if err != nil {
		return Outcome{Error: err.Error()}
	}
	return out
}

func evaluate(types *kube.Types, set *Set, req Request) (Outcome, error) {
	var object, oldObject runtime.Object
	var subject *unstructured.Unstructured
	if req.Object != nil {
		subject = &unstructured.Unstructured{Object: req.Object}
		object = subject
	}
	if req.OldObject != nil {
		old := &unstructured.Unstructured{Object: req.OldObject}
		oldObject = old
		if subject == nil {
			subject = old
		}
	}
	if subject == nil {
		return Outcome{}, fmt.Errorf("a request needs object or oldObject")
	}
	op := admission.Operation(req.Operation)
	var options runtime.Object
	switch op {
	case admission.Create:
		options = &metav1.CreateOptions{}
	case admission.Update:
		options = &metav1.UpdateOptions{}
	case admission.Delete:
		options = &metav1.DeleteOptions{}
	default:
		return Outcome{}, fmt.Errorf("operation %q: expected CREATE, UPDATE or DELETE", req.Operation)
	}
	gvk := subject.GroupVersionKind()
	mapping, err := types.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return Outcome{}, err
	}
	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace = subject.GetNamespace()
	}
	attr := admission.NewAttributesRecord(object, oldObject, gvk, namespace, subject.GetName(),
		mapping.Resource, "", op, options, false,
		&user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}})
	versioned := &admission.VersionedAttributes{
		Attributes: attr, VersionedKind: gvk, VersionedObject: object, VersionedOldObject: oldObject,
	}

	namespaces := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	var namespaceObject *corev1.Namespace
	if namespace != "" {
		namespaceObject = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: req.NamespaceLabels}}
		if err := namespaces.Add(namespaceObject); err != nil {
			return Outcome{}, err
		}
	}
	matcher := generic.NewPolicyMatcher(matching.NewMatcher(listersv1.NewNamespaceLister(namespaces), nil))
	interfaces := admission.NewObjectInterfacesFromScheme(kube.Scheme())

	out := Outcome{Allowed: true, Decisions: []Decision{}}
	for _, p := range set.Policies {
		matches, resource, _, err := matcher.DefinitionMatches(attr, interfaces, validating.NewValidatingAdmissionPolicyAccessor(p))
		if err != nil {
			return Outcome{}, fmt.Errorf("policy %s: %w", p.Name, err)
		}
		if !matches {
			continue
		}
		if p.Spec.ParamKind != nil || len(p.Spec.MatchConditions) > 0 || len(p.Spec.AuditAnnotations) > 0 {
			return Outcome{}, fmt.Errorf("policy %s: params, match conditions and audit annotations are not evaluated here", p.Name)
		}
		validator := compile(p)
		for _, b := range set.Bindings {
			if b.Spec.PolicyName != p.Name {
				continue
			}
			matches, err := matcher.BindingMatches(attr, interfaces, validating.NewValidatingAdmissionPolicyBindingAccessor(b))
			if err != nil {
				return Outcome{}, fmt.Errorf("binding %s: %w", b.Name, err)
			}
			if !matches {
				continue
			}
			result := validator.Validate(context.Background(), resource, versioned, nil, namespaceObject,
				celconfig.RuntimeCELCostBudget, authorizerfactory.NewAlwaysDenyAuthorizer())
			deny := false
			for _, action := range b.Spec.ValidationActions {
				deny = deny || action == admissionregistrationv1.Deny
			}
			for _, d := range result.Decisions {
				denied := d.Action == validating.ActionDeny
				out.Decisions = append(out.Decisions, Decision{
					Policy: p.Name, Binding: b.Name, Denied: denied, Message: d.Message, Reason: string(d.Reason),
				})
				if denied && deny {
					out.Allowed = false
				}
			}
		}
	}
	return out, nil
}

// compile is the plugin's compilePolicy for the features our policies use: validations with
// message expressions and variables; no params, match conditions or audit annotations.
func compile(p *admissionregistrationv1.ValidatingAdmissionPolicy) validating.Validator {
	env, err := cel.NewCompositionEnv(cel.VariablesTypeName, environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		panic(err)
	}
	compiler := cel.NewCompositedCompilerFromTemplate(env)
	withAuthorizer := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: true}
	withoutAuthorizer := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: false}
	variables := make([]cel.NamedExpressionAccessor, len(p.Spec.Variables))
	for i, v := range p.Spec.Variables {
		variables[i] = &validating.Variable{Name: v.Name, Expression: v.Expression}
	}
	compiler.CompileAndStoreVariables(variables, withAuthorizer, environment.StoredExpressions)
	validations := make([]cel.ExpressionAccessor, len(p.Spec.Validations))
	messages := make([]cel.ExpressionAccessor, len(p.Spec.Validations))
	for i, v := range p.Spec.Validations {
		validations[i] = &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason}
		if v.MessageExpression != "" {
			messages[i] = &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}
		}
	}
	return validating.NewValidator(
		compiler.CompileCondition(validations, withAuthorizer, environment.StoredExpressions),
		nil,
		compiler.CompileCondition(nil, withAuthorizer, environment.StoredExpressions),
		compiler.CompileCondition(messages, withoutAuthorizer, environment.StoredExpressions),
		p.Spec.FailurePolicy,
	)
}
