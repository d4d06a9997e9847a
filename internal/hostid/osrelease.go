package hostid

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// ReadOSVersion returns the VERSION of the os-release file at path (os-release(5)), unquoted,
// or VERSION_ID when there is no VERSION. A file that is missing or has neither gives "" and
// the error of reading it, if any: the version is for the history, never a reason to stop.
func ReadOSVersion(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `'`)
		}
		fields[k] = v
	}
	if v := fields["VERSION"]; v != "" {
		return v, nil
	}
	return fields["VERSION_ID"], nil
}
