package podsecurity

import "encoding/json"

// runtimeConvert decodes a JSON-shaped map into a typed API object, as a client does.
func runtimeConvert(in map[string]any, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}
