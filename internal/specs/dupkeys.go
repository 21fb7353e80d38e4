package specs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// noDuplicateKeys walks the JSON tokens and reports the first object that
// repeats a key (by JSON pointer; the key itself is a name, not a value).
// Malformed JSON is left for the decoder to report.
func noDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		keys    map[string]bool // nil for arrays
		path    string
		index   int
		wantKey bool
	}
	var stack []*frame
	child := func() string { // path of the value about to be read
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.keys == nil {
			p := fmt.Sprintf("%s/%d", f.path, f.index)
			f.index++
			return p
		}
		return f.path
	}
	var pendingKey string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // malformed: the real decode says why
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			key, _ := tok.(string)
			if top.keys[key] {
				where := top.path
				if where == "" {
					where = "/"
				}
				return fmt.Errorf("duplicate key %q in the object at %s", key, where)
			}
			top.keys[key] = true
			top.wantKey = false
			pendingKey = top.path + "/" + key
			continue
		}
		path := child()
		if top != nil && top.keys != nil {
			path = pendingKey
			top.wantKey = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, path: path, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
