package interp

import (
	"fmt"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// MaxJSONDepth bounds the nesting of arrays and objects json.decode
// accepts. go.starlark.net's decoder recurses once per level on the Go
// stack, so a hostile string such as "[" * 2000000 would otherwise end
// the process with a stack overflow instead of failing the call.
const MaxJSONDepth = 1000

// jsonModule is go.starlark.net's json module with a decode that refuses
// documents nested deeper than MaxJSONDepth.
var jsonModule = func() *starlarkstruct.Module {
	members := make(starlark.StringDict, len(json.Module.Members))
	for k, v := range json.Module.Members {
		members[k] = v
	}
	inner := json.Module.Members["decode"].(*starlark.Builtin)
	members["decode"] = starlark.NewBuiltin("json.decode", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) >= 1 {
			if s, ok := args[0].(starlark.String); ok {
				if err := CheckJSONDepth(string(s), MaxJSONDepth); err != nil {
					return nil, fmt.Errorf("%s: %v", b.Name(), err)
				}
			}
		}
		return starlark.Call(t, inner, args, kwargs)
	})
	return &starlarkstruct.Module{Name: json.Module.Name, Members: members}
}()

// CheckJSONDepth returns an error when the JSON text s nests arrays and
// objects more than max levels deep. It looks only at brackets outside
// strings; whether s is otherwise valid JSON is the decoder's business.
func CheckJSONDepth(s string, max int) error {
	depth := 0
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return fmt.Errorf("nesting deeper than %d levels at byte %d (arrays and objects may nest at most %d deep)", max, i, max)
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}
