package jsonerr

import (
	"encoding/json"
	"testing"
)

func TestDescribe(t *testing.T) {
	var v struct {
		Max     *int     `json:"max"`
		Holders []string `json:"holders"`
		Params  struct {
			ID string `json:"id"`
		} `json:"client_params"`
	}
	for in, want := range map[string]string{
		`{"max":"two"}`:              "field max is a JSON string, want a number",
		`{"holders":[1]}`:            "field holders is a JSON number, want a string",
		`{"client_params":{"id":7}}`: "field client_params.id is a JSON number, want a string",
		`{"holders":{}}`:             "field holders is a JSON object, want an array",
		`[1]`:                        "the value is a JSON array, want an object",
		`{"max":`:                    "the JSON ends early",
		`{max}`:                      "invalid JSON at byte 2",
	} {
		err := json.Unmarshal([]byte(in), &v)
		if got := Describe(err); got != want {
			t.Errorf("Describe(Unmarshal(%s)) = %q, want %q", in, got, want)
		}
	}
}
