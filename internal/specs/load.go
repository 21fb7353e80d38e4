package specs

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Doc is one parsed official OpenAPI file. It is safe for concurrent use.
type Doc struct {
	name string // base name, for messages
	t    *openapi3.T
}

// Name returns the file's base name.
func (d *Doc) Name() string { return d.name }

// HasSchema reports whether components.schemas has the named schema.
func (d *Doc) HasSchema(name string) bool {
	_, err := d.schema(name)
	return err == nil
}

type cacheEntry struct {
	once sync.Once
	doc  *Doc
	err  error
}

// The files are large (up to 225 kB); parse each at most once per process.
var (
	cacheMu sync.Mutex
	cache   = map[string]*cacheEntry{}
)

// Load parses file (a base name inside Dir(), or an absolute path) and
// checks that it is a valid OpenAPI document whose string formats this
// package can all validate. Results, errors included, are cached per path.
func Load(file string) (*Doc, error) {
	path := file
	if !filepath.IsAbs(file) {
		dir, err := Dir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, file)
	}
	path = filepath.Clean(path)

	cacheMu.Lock()
	e, ok := cache[path]
	if !ok {
		e = &cacheEntry{}
		cache[path] = e
	}
	cacheMu.Unlock()

	e.once.Do(func() { e.doc, e.err = load(path) })
	return e.doc, e.err
}

func load(path string) (*Doc, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false // the files are self-contained
	t, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", filepath.Base(path), err)
	}
	// Formats are checked by this package's validators (see formats.go), not
	// kin-openapi's global registry, so the document check must not reject
	// formats that registry does not know.
	if err := t.Validate(context.Background(), openapi3.EnableSchemaPatternValidation()); err != nil {
		return nil, fmt.Errorf("validate %s as OpenAPI: %w", filepath.Base(path), err)
	}
	if err := checkFormatsCovered(t); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &Doc{name: filepath.Base(path), t: t}, nil
}

func (d *Doc) schema(name string) (*openapi3.Schema, error) {
	if d.t.Components == nil {
		return nil, fmt.Errorf("%s has no components", d.name)
	}
	ref, ok := d.t.Components.Schemas[name]
	if !ok || ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("%s has no schema %q", d.name, name)
	}
	return ref.Value, nil
}
