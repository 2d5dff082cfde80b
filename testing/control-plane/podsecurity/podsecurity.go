// Package podsecurity judges pod specs the way the cluster will: Pod Security admission's own
// evaluator (k8s.io/pod-security-admission, the library the API server's PodSecurity plugin runs)
// at the "restricted" level, and the kubelet's check that a container asked to run as non-root can
// be verified to (verifyRunAsNonRoot in pkg/kubelet/kuberuntime/security_context_others.go, on the
// effective security context from k8s.io/kubernetes/pkg/securitycontext).
package podsecurity

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/kubernetes/pkg/securitycontext"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Result is the verdict on one pod template.
type Result struct {
	// Where the pod template is: the object and the path inside it.
	Source string `json:"source"`
	// The checks of the restricted profile it fails, as Pod Security admission words them.
	Forbidden []string `json:"forbidden"`
	// The containers the kubelet would refuse to start when their image names its user (the
	// function images say `USER nonroot:nonroot`): runAsNonRoot without a numeric effective user.
	Unverifiable []string `json:"unverifiableNonRoot"`
}

// Template is a pod template found in an object.
type Template struct {
	Path     string
	Metadata metav1.ObjectMeta
	Spec     corev1.PodSpec
}

// Templates finds the pod templates of an object: a Pod's spec, the template of the workload
// kinds, and the Deployment template of a Crossplane DeploymentRuntimeConfig.
func Templates(obj *unstructured.Unstructured) ([]Template, error) {
	var paths [][]string
	switch obj.GetKind() {
	case "Pod":
		paths = [][]string{{}}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		paths = [][]string{{"spec", "template"}}
	case "CronJob":
		paths = [][]string{{"spec", "jobTemplate", "spec", "template"}}
	case "DeploymentRuntimeConfig":
		paths = [][]string{{"spec", "deploymentTemplate", "spec", "template"}}
	default:
		return nil, nil
	}
	var out []Template
	for _, p := range paths {
		raw := obj.Object
		if len(p) > 0 {
			m, found, err := unstructured.NestedMap(obj.Object, p...)
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
			raw = m
		}
		t := Template{Path: fmt.Sprint(p)}
		if md, ok := raw["metadata"].(map[string]any); ok {
			if err := runtimeConvert(md, &t.Metadata); err != nil {
				return nil, fmt.Errorf("%v metadata: %w", p, err)
			}
		}
		spec, ok := raw["spec"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v: no pod spec", p)
		}
		if err := runtimeConvert(spec, &t.Spec); err != nil {
			return nil, fmt.Errorf("%v spec: %w", p, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Evaluator evaluates pod templates at the restricted level of the latest policy version.
type Evaluator struct {
	eval policy.Evaluator
}

// NewEvaluator makes the evaluator Pod Security admission uses, with its default checks.
func NewEvaluator() (*Evaluator, error) {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, err
	}
	return &Evaluator{eval: e}, nil
}

// Evaluate judges one pod template.
func (e *Evaluator) Evaluate(source string, t Template) Result {
	r := Result{Source: source, Forbidden: []string{}, Unverifiable: []string{}}
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, c := range e.eval.EvaluatePod(lv, &t.Metadata, &t.Spec) {
		if !c.Allowed {
			r.Forbidden = append(r.Forbidden, fmt.Sprintf("%s (%s)", c.ForbiddenReason, c.ForbiddenDetail))
		}
	}
	pod := &corev1.Pod{ObjectMeta: t.Metadata, Spec: t.Spec}
	containers := append(append([]corev1.Container{}, t.Spec.InitContainers...), t.Spec.Containers...)
	for i := range containers {
		c := &containers[i]
		sc := securitycontext.DetermineEffectiveSecurityContext(pod, c)
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			continue
		}
		if sc.RunAsUser == nil {
			r.Unverifiable = append(r.Unverifiable, fmt.Sprintf("container %q: runAsNonRoot without a numeric runAsUser: refused for an image whose user is a name", c.Name))
		} else if *sc.RunAsUser == 0 {
			r.Unverifiable = append(r.Unverifiable, fmt.Sprintf("container %q: runAsUser 0 breaks runAsNonRoot", c.Name))
		}
	}
	return r
}
