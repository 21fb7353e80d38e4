package specs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Format validators never quote the value: it may be a secret or PII.
var stringFormats = map[string]openapi3.StringFormatValidator{
	"date-time": openapi3.NewCallbackValidator(validateDateTime),
	"date":      openapi3.NewCallbackValidator(validateDate),
	"uuid":      openapi3.NewCallbackValidator(validateUUID),
	"duration":  openapi3.NewCallbackValidator(validateDuration),
	"email":     openapi3.NewCallbackValidator(validateEmail),
	"uri":       openapi3.NewCallbackValidator(validateURI),
	"url":       openapi3.NewCallbackValidator(validateURL),
	"base64":    openapi3.NewCallbackValidator(validateBase64),
	"byte":      openapi3.NewCallbackValidator(validateBase64),
}

// kin-openapi registers these integer formats globally and checks them itself.
var integerFormats = map[string]bool{"int32": true, "int64": true}

// RFC 3339 section 5.6 requires seconds and an offset; time.Parse alone is
// more lenient about neither, and the regexp alone accepts 2026-02-30.
var dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

func validateDateTime(v string) error {
	if !dateTimeRE.MatchString(v) {
		return errors.New("not an RFC 3339 date-time with seconds and offset")
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
		return errors.New("not a valid calendar date-time")
	}
	return nil
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func validateDate(v string) error {
	if !dateRE.MatchString(v) {
		return errors.New("not an RFC 3339 full-date")
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return errors.New("not a valid calendar date")
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func validateUUID(v string) error {
	if !uuidRE.MatchString(v) {
		return errors.New("not a UUID in 8-4-4-4-12 hex form")
	}
	return nil
}

// ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][n[.n]S]], at least one
// component, and a T only when a time component follows.
var durationRE = regexp.MustCompile(`^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$`)

func validateDuration(v string) error {
	m := durationRE.FindStringSubmatch(v)
	if m == nil || v == "P" || v[len(v)-1] == 'T' {
		return errors.New("not an ISO 8601 duration")
	}
	return nil
}

func validateEmail(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return errors.New("not a bare RFC 5322 address")
	}
	return nil
}

func validateURI(v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] <= 0x20 || v[i] >= 0x7f {
			return errors.New("URI has a space, control or non-ASCII character")
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("not a URI")
	}
	if u.Scheme == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}

func validateURL(v string) error {
	if err := validateURI(v); err != nil {
		return err
	}
	u, _ := url.Parse(v) // parsed above
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("not an http(s) URL with a host")
	}
	return nil
}

func validateBase64(v string) error {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if _, err := enc.DecodeString(v); err == nil {
			return nil
		}
	}
	return errors.New("not base64")
}

// checkFormatsCovered walks every schema of the document and refuses one
// whose format would silently go unchecked.
func checkFormatsCovered(t *openapi3.T) error {
	missing := map[string]bool{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if f := s.Format; f != "" {
			if _, ok := stringFormats[f]; !ok && !integerFormats[f] {
				missing[f] = true
			}
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.Not)
		walk(s.AdditionalProperties.Schema)
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range list {
				walk(r)
			}
		}
	}
	if t.Components != nil {
		for _, r := range t.Components.Schemas {
			walk(r)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, 0, len(missing))
	for f := range missing {
		names = append(names, f)
	}
	sort.Strings(names)
	return fmt.Errorf("formats with no validator here: %v", names)
}
