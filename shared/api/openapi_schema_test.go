package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

type schemaInner struct {
	A string `json:"a"`
}

type schemaEmbedded struct {
	Shared string `json:"shared"`
	Deep   string `json:"deep"`
}

type schemaSample struct {
	schemaEmbedded
	*schemaInner
	Name     string            `json:"name"`
	Opt      string            `json:"opt,omitempty"`
	Zero     time.Time         `json:"zero,omitzero"`
	Skip     string            `json:"-"`
	Count    int               `json:"count,string"`
	Ptr      *string           `json:"ptr"`
	Inner    *schemaInner      `json:"inner"`
	List     []schemaInner     `json:"list"`
	Labels   map[string]string `json:"labels"`
	Doc      map[string]any    `json:"doc"`
	Any      any               `json:"any"`
	Raw      []byte            `json:"raw"`
	Shared   int               `json:"shared"` // shallower than the embedded one: wins
	Untagged bool
	hidden   string
}

// The schemas follow encoding/json's rules: promoted embedded fields, the shallowest of a name,
// "-" and unexported fields skipped, omitempty/omitzero not required, ",string", and in a
// response a pointer may be null; in a request nothing is required and nothing is null.
func TestSchemaFromGoType(t *testing.T) {
	s := newSchemaSet()
	typ := reflect.TypeFor[schemaSample]()
	s.walk(typ, response)
	s.walk(typ, request)
	s.ref(typ, response)
	s.ref(typ, request)
	got := func(name string) string {
		b, _ := json.Marshal(s.schemas[name])
		return string(b)
	}
	inner := `{"$ref":"#/components/schemas/SchemaInner"}`
	wantResponse := `{"properties":{` +
		`"Untagged":{"type":"boolean"},` +
		`"a":{"type":"string"},` +
		`"any":{},` +
		`"count":{"type":"string"},` +
		`"deep":{"type":"string"},` +
		`"doc":{"type":"object"},` +
		`"inner":{"anyOf":[` + inner + `,{"type":"null"}]},` +
		`"labels":{"additionalProperties":{"type":"string"},"type":"object"},` +
		`"list":{"items":` + inner + `,"type":"array"},` +
		`"name":{"type":"string"},` +
		`"opt":{"type":"string"},` +
		`"ptr":{"type":["string","null"]},` +
		`"raw":{"contentEncoding":"base64","type":"string"},` +
		`"shared":{"type":"integer"},` +
		`"zero":{"format":"date-time","type":"string"}},` +
		`"required":["deep","a","name","count","ptr","inner","list","labels","doc","any","raw","shared","Untagged"],"type":"object"}`
	if g := got("SchemaSample"); g != wantResponse {
		t.Errorf("response schema\n got %s\nwant %s", g, wantResponse)
	}
	innerIn := `{"$ref":"#/components/schemas/SchemaInnerInput"}`
	wantRequest := `{"properties":{` +
		`"Untagged":{"type":"boolean"},` +
		`"a":{"type":"string"},` +
		`"any":{},` +
		`"count":{"type":"string"},` +
		`"deep":{"type":"string"},` +
		`"doc":{"type":"object"},` +
		`"inner":` + innerIn + `,` +
		`"labels":{"additionalProperties":{"type":"string"},"type":"object"},` +
		`"list":{"items":` + innerIn + `,"type":"array"},` +
		`"name":{"type":"string"},` +
		`"opt":{"type":"string"},` +
		`"ptr":{"type":"string"},` +
		`"raw":{"contentEncoding":"base64","type":"string"},` +
		`"shared":{"type":"integer"},` +
		`"zero":{"format":"date-time","type":"string"}},"type":"object"}`
	if g := got("SchemaSampleInput"); g != wantRequest {
		t.Errorf("request schema\n got %s\nwant %s", g, wantRequest)
	}
	if g := got("SchemaInner"); g != `{"properties":{"a":{"type":"string"}},"required":["a"],"type":"object"}` {
		t.Errorf("SchemaInner: %s", g)
	}
}

type schemaCustom struct{ v int }

func (schemaCustom) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

// A type that marshals itself cannot be described from its fields: the generator refuses it
// unless it is listed as writing its tagged shape.
func TestSchemaRefusesCustomMarshalers(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a type with MarshalJSON was described from its fields")
		}
	}()
	s := newSchemaSet()
	s.ref(reflect.TypeFor[struct {
		C schemaCustom `json:"c"`
	}](), response)
}
