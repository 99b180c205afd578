package stytchsource

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// objects returns the objects under field of the captured response, or, when nothing was
// captured, stytch-go's decoded structs marshalled again (reencoded).
func objects[T any](c *capture, field string, typed []T) (list []json.RawMessage, reencoded bool, err error) {
	if c == nil || !c.filled {
		for i := range typed {
			b, err := json.Marshal(typed[i])
			if err != nil {
				return nil, true, err
			}
			list = append(list, b)
		}
		return list, true, nil
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &body); err != nil {
		return nil, false, fmt.Errorf("the response is not a JSON object: %w", err)
	}
	raw := bytes.TrimSpace(body[field])
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '{':
		list = []json.RawMessage{raw}
	default:
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, false, fmt.Errorf("%s is not a list: %w", field, err)
		}
	}
	if len(list) != len(typed) {
		return nil, false, fmt.Errorf("%s: %d objects in the body, %d decoded by stytch-go", field, len(list), len(typed))
	}
	return list, false, nil
}

// writeLine appends {"type":…,["organization_id":…,]key:obj} and a newline. The object is
// compacted (whitespace only) so a pretty-printed answer still fits on one line.
func writeLine(buf *bytes.Buffer, typ, orgID, key string, obj json.RawMessage) error {
	if len(obj) == 0 || obj[0] != '{' {
		if t := bytes.TrimSpace(obj); len(t) == 0 || t[0] != '{' {
			return fmt.Errorf("stytchsource: a %s is not a JSON object", key)
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, obj); err != nil {
		return fmt.Errorf("stytchsource: a %s is not valid JSON: %w", key, err)
	}
	t, _ := json.Marshal(typ)
	buf.WriteString(`{"type":`)
	buf.Write(t)
	if orgID != "" {
		o, _ := json.Marshal(orgID)
		buf.WriteString(`,"organization_id":`)
		buf.Write(o)
	}
	k, _ := json.Marshal(key)
	buf.WriteByte(',')
	buf.Write(k)
	buf.WriteByte(':')
	buf.Write(compact.Bytes())
	buf.WriteString("}\n")
	return nil
}
