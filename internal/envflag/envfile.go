package envflag

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ReadEnvFile reads variables from a file in the syntax of systemd's
// EnvironmentFile= (KEY=VALUE lines; blank lines and lines starting with '#'
// or ';' ignored; a value may be wrapped in single or double quotes).
//
// A missing file yields an empty map and no error, as the unit's "-" prefix
// does. Any other read error, or a line that is not KEY=VALUE, is an error
// naming the file and the line number.
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read environment file: %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(strings.TrimPrefix(key, "export "))
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("read environment file %s:%d: %q is not KEY=VALUE", path, n, line)
		}
		vars[key] = unquote(strings.TrimSpace(value))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read environment file %s: %w", path, err)
	}
	return vars, nil
}

// ReadEnvFiles reads each file in order; a variable in a later file
// overrides the same variable in an earlier one, as with several
// EnvironmentFile= lines.
func ReadEnvFiles(paths ...string) (map[string]string, error) {
	vars := map[string]string{}
	for _, p := range paths {
		m, err := ReadEnvFile(p)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			vars[k] = v
		}
	}
	return vars, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
