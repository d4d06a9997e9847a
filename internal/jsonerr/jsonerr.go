// Package jsonerr words the errors of encoding/json for people: the field and the JSON type
// found, or the byte where the syntax broke, without Go's type names.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// Describe words err, an error of json.Unmarshal: "field max is a JSON string, want a number",
// "invalid JSON at byte 7", "the JSON ends early". Other errors keep their text.
func Describe(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		where := "the value"
		if te.Field != "" {
			where = "field " + te.Field
		}
		return fmt.Sprintf("%s is a JSON %s, want %s", where, te.Value, kind(te.Type))
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		if se.Error() == "unexpected end of JSON input" {
			return "the JSON ends early"
		}
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends early"
	}
	return err.Error()
}

// kind names a Go type as JSON does.
func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return kind(t.Elem())
	}
	return t.Kind().String()
}
