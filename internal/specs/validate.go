package specs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Problem is one reason a value does not conform: where (a JSON pointer
// such as /DebtorIndicators/Authentication/ChallengeOutcome) and why.
type Problem struct {
	Path   string
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// ValidationError lists every problem found, not only the first.
type ValidationError struct {
	File     string
	Schema   string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("value does not conform to %s#%s: %s", e.File, e.Schema, strings.Join(parts, "; "))
}

// Has reports whether a problem at path mentions substr (for tests that
// must prove a specific rule fired).
func (e *ValidationError) Has(path, substr string) bool {
	for _, p := range e.Problems {
		if p.Path == path && strings.Contains(p.Reason, substr) {
			return true
		}
	}
	return false
}

// Validate checks one JSON value against components.schemas[schemaName].
// It returns nil, a *ValidationError, or an error for unusable input
// (unknown schema, malformed JSON).
func (d *Doc) Validate(schemaName string, jsonValue []byte) error {
	s, err := d.schema(schemaName)
	if err != nil {
		return err
	}
	value, err := decodeOne(jsonValue)
	if err != nil {
		return fmt.Errorf("validate against %s#%s: %w", d.name, schemaName, err)
	}
	err = s.VisitJSON(value,
		openapi3.MultiErrors(),
		// Keeps the offending value (maybe a secret) out of error text.
		openapi3.DisableSchemaErrorDetails(),
		openapi3.WithStringFormatValidators(stringFormats),
	)
	if err == nil {
		return nil
	}
	ve := &ValidationError{File: d.name, Schema: schemaName}
	collect(err, &ve.Problems)
	if len(ve.Problems) == 0 { // not a schema error: report it as it is
		return fmt.Errorf("validate against %s#%s: %w", d.name, schemaName, err)
	}
	return ve
}

// ValidateValue marshals v with encoding/json and validates the result.
func (d *Doc) ValidateValue(schemaName string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal value for %s#%s: %w", d.name, schemaName, err)
	}
	return d.Validate(schemaName, b)
}

// decodeOne decodes exactly one JSON value, keeping numbers exact. It
// refuses duplicate object keys, which encoding/json would silently resolve
// to the last one: a strict bank may resolve them differently or reject them.
func decodeOne(b []byte) (any, error) {
	if err := noDuplicateKeys(b); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode JSON: trailing data after the value")
	}
	return v, nil
}

func collect(err error, out *[]Problem) {
	var me openapi3.MultiError
	if errors.As(err, &me) && !isSchemaError(err) {
		for _, e := range me {
			collect(e, out)
		}
		return
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		path := "/" + strings.Join(se.JSONPointer(), "/")
		reason := se.Reason
		if reason == "" {
			reason = "does not match " + se.SchemaField
		}
		// oneOf and format failures carry their details in the origin.
		if se.Origin != nil && se.SchemaField != "format" {
			reason += " (" + se.Origin.Error() + ")"
		}
		*out = append(*out, Problem{Path: path, Reason: reason})
	}
}

func isSchemaError(err error) bool {
	_, ok := err.(*openapi3.SchemaError)
	return ok
}
