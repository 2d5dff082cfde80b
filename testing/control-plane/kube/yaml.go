package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one object of a multi-document YAML file.
type Document struct {
	File   string
	Index  int
	Object *unstructured.Unstructured
}

// Name says where the document comes from, for messages.
func (d Document) Name() string {
	return fmt.Sprintf("%s#%d (%s %s)", d.File, d.Index, d.Object.GetKind(), d.Object.GetName())
}

// Into decodes the document into a typed object the way a client does: through its JSON.
func (d Document) Into(out any) error {
	raw, err := json.Marshal(d.Object.Object)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// RegisterCRDs adds the CustomResourceDefinitions among docs to types.
func RegisterCRDs(types *Types, docs []Document) error {
	for _, d := range docs {
		if d.Object.GroupVersionKind() != apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition") {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := d.Into(crd); err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
		if err := types.AddCRD(crd); err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
	}
	return nil
}

// ReadFiles reads every non-empty document of the given YAML files, in order.
func ReadFiles(paths []string) ([]Document, error) {
	var docs []Document
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
		for i := 0; ; i++ {
			raw, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if len(bytes.TrimSpace(raw)) == 0 {
				continue
			}
			obj := map[string]any{}
			if err := yaml.Unmarshal(raw, &obj); err != nil {
				f.Close()
				return nil, fmt.Errorf("%s#%d: %w", path, i, err)
			}
			if len(obj) == 0 {
				continue
			}
			docs = append(docs, Document{File: path, Index: i, Object: &unstructured.Unstructured{Object: obj}})
		}
		f.Close()
	}
	return docs, nil
}

// Load reads the YAML files and registers the CRDs among them: the documents and the types the
// API server would know after applying them.
func Load(paths []string) ([]Document, *Types, error) {
	docs, err := ReadFiles(paths)
	if err != nil {
		return nil, nil, err
	}
	types := NewTypes()
	if err := RegisterCRDs(types, docs); err != nil {
		return nil, nil, err
	}
	return docs, types, nil
}
