package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// DecodeError is a strict-decoding failure at one JSON path.
type DecodeError struct {
	Path   string
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return "json: " + e.Reason
	}
	return "json: " + e.Path + ": " + e.Reason
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// DecodeStrict decodes one JSON value into v (a pointer) and rejects what
// encoding/json lets through: unknown fields, field names that differ only
// in case, duplicate keys at any level, null values, values of the wrong
// JSON type, invalid UTF-8, nesting deeper than 64 levels, and trailing
// data. root prefixes every reported path.
func DecodeStrict(data []byte, v any, root string) error {
	return decodeStrict(data, v, root, nil)
}

// decodeStrict is DecodeStrict with open(path) naming objects whose
// unknown fields are tolerated (payment-time Risk when not closed).
func decodeStrict(data []byte, v any, root string, open func(path string) bool) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode strict: target must be a non-nil pointer")
	}
	// encoding/json would silently turn invalid bytes into U+FFFD, so two
	// different creditor names could decode equal.
	if !utf8.Valid(data) {
		return &DecodeError{Path: root, Reason: "JSON is not valid UTF-8"}
	}
	if err := walkStrict(tokensOf(data), rv.Type().Elem(), root, open); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		// The walk already checked types; this is a safety net (e.g. overflow).
		return &DecodeError{Path: root, Reason: "value does not fit its field"}
	}
	return nil
}

// tokensOf reads the tokens of valid JSON in valid UTF-8 with validTokens, with far fewer
// allocations than json.Decoder (its Token decodes each scalar with a fresh scanner that
// builds an error value at the byte after it); anything else goes through json.Decoder,
// which says where it breaks.
func tokensOf(data []byte) tokenReader {
	if utf8.Valid(data) && json.Valid(data) {
		return &validTokens{data: data}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec
}

// walkStrict walks one JSON value of type t from src and then expects its end.
func walkStrict(src tokenReader, t reflect.Type, root string, open func(path string) bool) error {
	w := &walker{dec: src, open: open}
	if err := w.value(t, root, 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return &DecodeError{Path: root, Reason: "trailing data after the JSON value"}
	}
	return nil
}

// tokenReader is what the walk needs of json.Decoder.
type tokenReader interface {
	Token() (json.Token, error)
	More() bool
}

// validTokens yields the tokens json.Decoder (with UseNumber) yields, for input that
// json.Valid accepts and that is valid UTF-8 (json.Decoder would turn invalid bytes in a
// string into U+FFFD) and nothing else: it relies on both and checks no syntax itself.
type validTokens struct {
	data []byte
	pos  int
}

// skip passes white space and the separators json.Decoder's Token passes (in valid JSON
// a ',' or ':' is always where the decoder expects one).
func (v *validTokens) skip() {
	for v.pos < len(v.data) {
		switch v.data[v.pos] {
		case ' ', '\t', '\n', '\r', ',', ':':
			v.pos++
		default:
			return
		}
	}
}

func (v *validTokens) More() bool {
	v.skip()
	return v.pos < len(v.data) && v.data[v.pos] != ']' && v.data[v.pos] != '}'
}

func (v *validTokens) Token() (json.Token, error) {
	v.skip()
	if v.pos >= len(v.data) {
		return nil, io.EOF
	}
	start := v.pos
	switch c := v.data[start]; c {
	case '{', '}', '[', ']':
		v.pos++
		return json.Delim(c), nil
	case '"':
		i := start + 1
		escaped := false
		for v.data[i] != '"' {
			if v.data[i] == '\\' {
				escaped = true
				i++
			}
			i++
		}
		v.pos = i + 1
		if !escaped {
			return string(v.data[start+1 : i]), nil
		}
		var s string
		if err := json.Unmarshal(v.data[start:v.pos], &s); err != nil {
			return nil, err
		}
		return s, nil
	case 't':
		v.pos += len("true")
		return true, nil
	case 'f':
		v.pos += len("false")
		return false, nil
	case 'n':
		v.pos += len("null")
		return nil, nil
	}
	for v.pos < len(v.data) && strings.IndexByte("0123456789+-.eE", v.data[v.pos]) >= 0 {
		v.pos++
	}
	return json.Number(v.data[start:v.pos]), nil
}

type walker struct {
	dec  tokenReader
	open func(string) bool
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) token(path string) (json.Token, error) {
	t, err := w.dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, &DecodeError{Path: path, Reason: "unexpected end of JSON"}
		}
		return nil, &DecodeError{Path: path, Reason: "malformed JSON"}
	}
	return t, nil
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a different type"
}

func (w *walker) value(t reflect.Type, path string, depth int) error {
	if depth > maxJSONDepth {
		return &DecodeError{Path: path, Reason: "JSON nested too deeply"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType || t.Kind() == reflect.Interface {
		return w.any(path, depth)
	}
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	switch tv := tok.(type) {
	case nil:
		return &DecodeError{Path: path, Reason: "null is not allowed"}
	case json.Delim:
		switch tv {
		case '{':
			switch t.Kind() {
			case reflect.Struct:
				return w.object(t, path, depth)
			case reflect.Map:
				return w.mapObject(t, path, depth)
			}
		case '[':
			if t.Kind() == reflect.Slice {
				return w.array(t, path, depth)
			}
		}
		return &DecodeError{Path: path, Reason: "must be " + kindName(t)}
	case string:
		if t.Kind() != reflect.String {
			return &DecodeError{Path: path, Reason: "must be " + kindName(t)}
		}
	case bool:
		if t.Kind() != reflect.Bool {
			return &DecodeError{Path: path, Reason: "must be " + kindName(t)}
		}
	case json.Number:
		switch t.Kind() {
		case reflect.Int, reflect.Int64, reflect.Int32:
			if _, err := strconv.ParseInt(tv.String(), 10, 64); err != nil {
				return &DecodeError{Path: path, Reason: "must be an integer"}
			}
		case reflect.Float64, reflect.Float32:
		default:
			return &DecodeError{Path: path, Reason: "must be " + kindName(t)}
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type (immutable once built)

func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// members walks the members of an object whose '{' was read, refusing a duplicate key, and
// reads the closing '}'. each gets the key and its path.
func (w *walker) members(path string, each func(key, kp string) error) error {
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.token(path)
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		kp := join(path, key)
		if seen[key] {
			return &DecodeError{Path: kp, Reason: "duplicate key"}
		}
		seen[key] = true
		if err := each(key, kp); err != nil {
			return err
		}
	}
	_, err := w.token(path) // '}'
	return err
}

func (w *walker) object(t reflect.Type, path string, depth int) error {
	fields := fieldsOf(t)
	return w.members(path, func(key, kp string) error {
		ft, ok := fields[key]
		if ok {
			return w.value(ft, kp, depth+1)
		}
		for name := range fields {
			if strings.EqualFold(name, key) {
				return &DecodeError{Path: kp, Reason: fmt.Sprintf("unknown field (field names are case-sensitive: %s)", name)}
			}
		}
		if w.open != nil && w.open(path) {
			return w.any(kp, depth+1)
		}
		return &DecodeError{Path: kp, Reason: "unknown field"}
	})
}

func (w *walker) mapObject(t reflect.Type, path string, depth int) error {
	return w.members(path, func(_, kp string) error { return w.value(t.Elem(), kp, depth+1) })
}

func (w *walker) array(t reflect.Type, path string, depth int) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
			return err
		}
	}
	_, err := w.token(path)
	return err
}

// any walks a value of any shape, still rejecting duplicate keys and null.
func (w *walker) any(path string, depth int) error {
	if depth > maxJSONDepth {
		return &DecodeError{Path: path, Reason: "JSON nested too deeply"}
	}
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	switch tv := tok.(type) {
	case nil:
		return &DecodeError{Path: path, Reason: "null is not allowed"}
	case json.Delim:
		if tv == '{' {
			return w.members(path, func(_, kp string) error { return w.any(kp, depth+1) })
		}
		if tv == '[' {
			for i := 0; w.dec.More(); i++ {
				if err := w.any(fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
		_, err := w.token(path)
		return err
	}
	return nil
}

// maxPathLength bounds a reported path: keys come from the client and the
// error schema allows 500 characters.
const maxPathLength = 200

// decodeViolation turns a strict-decoding error into a Violation.
func decodeViolation(err error, rule int, code string) *Violation {
	var de *DecodeError
	if errors.As(err, &de) {
		path := de.Path
		if len(path) > maxPathLength {
			path = strings.ToValidUTF8(path[:maxPathLength], "") + "…"
		}
		return violation(rule, code, path, "%s", de.Reason)
	}
	return violation(rule, code, "", "cannot decode JSON")
}
