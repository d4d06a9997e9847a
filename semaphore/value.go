package semaphore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"locksmith.dev/locksmith/internal/jsonerr"
)

// readValue is the stored JSON as read. "semaphore" (the free count) is
// not read: it is always derived.
type readValue struct {
	Max     *int         `json:"max"`
	Holders []string     `json:"holders"`
	Details *wireDetails `json:"details"`
}

// writeValue is the stored JSON as written.
type writeValue struct {
	Semaphore int          `json:"semaphore"`
	Max       int          `json:"max"`
	Holders   []string     `json:"holders"`
	Details   *wireDetails `json:"details,omitempty"`
}

// wireDetails is this package's extra field; old tools ignore it.
type wireDetails struct {
	Holders     map[string]wireFacts `json:"holders,omitempty"`
	LastRemoval *wireRemoval         `json:"last_removal,omitempty"`
	Freeze      *wireFreeze          `json:"freeze,omitempty"`
	Failures    []wireFailure        `json:"failures,omitempty"`
}

type wireFreeze struct {
	PreviousMax int       `json:"previous_max"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

type wireFailure struct {
	ID     string    `json:"id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type wireFacts struct {
	AcquiredAt time.Time `json:"acquired_at,omitzero"`
	Hostname   string    `json:"hostname,omitempty"`
	BootID     string    `json:"boot_id,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	OSVersion  string    `json:"os_version,omitempty"`
}

type wireHolder struct {
	ID string `json:"id"`
	wireFacts
}

type wireRemoval struct {
	Holder wireHolder `json:"holder"`
	By     string     `json:"by"`
	Reason string     `json:"reason"`
	At     time.Time  `json:"at"`
}

// decodeValue parses the stored bytes of key. The returned State has no
// Revision. A value that is not a valid semaphore yields a *CorruptError.
func decodeValue(key string, raw []byte) (State, error) {
	corrupt := func(format string, args ...any) (State, error) {
		return State{}, &CorruptError{Key: key, Problem: fmt.Sprintf(format, args...), Value: slices.Clone(raw)}
	}
	var w readValue
	if err := json.Unmarshal(raw, &w); err != nil {
		return corrupt("not valid semaphore JSON: %s", jsonerr.Describe(err))
	}
	if w.Max == nil {
		return corrupt("max is missing")
	}
	if *w.Max < 0 {
		return corrupt("max is negative (%d)", *w.Max)
	}
	ids := slices.Clone(w.Holders)
	slices.Sort(ids)
	for i, id := range ids {
		if id == "" {
			return corrupt("a holder id is empty")
		}
		if i > 0 && ids[i-1] == id {
			return corrupt("holder %q appears twice", id)
		}
	}
	st := State{Max: *w.Max, Holders: withFacts(ids, w.Details)}
	if w.Details != nil && w.Details.LastRemoval != nil {
		r := w.Details.LastRemoval
		st.LastRemoval = &Removal{Holder: r.Holder.holder(), By: r.By, Reason: r.Reason, At: r.At}
	}
	if w.Details != nil {
		if f := w.Details.Freeze; f != nil && f.PreviousMax >= 0 {
			st.Freeze = &Freeze{PreviousMax: f.PreviousMax, Reason: f.Reason, At: f.At}
		}
		for _, f := range w.Details.Failures {
			st.Failures = append(st.Failures, Failure(f))
		}
	}
	return st, nil
}

// salvageHolders recovers from a corrupt value the holders it can: the
// distinct non-empty ids of a "holders" list of strings, with their facts
// when "details" is readable. It returns nil when there is no such list.
func salvageHolders(raw []byte) []Holder {
	var w struct {
		Holders []string `json:"holders"`
	}
	if json.Unmarshal(raw, &w) != nil {
		return nil
	}
	var d struct {
		Details *wireDetails `json:"details"`
	}
	if json.Unmarshal(raw, &d) != nil {
		d.Details = nil
	}
	ids := slices.DeleteFunc(slices.Clone(w.Holders), func(id string) bool { return id == "" })
	slices.Sort(ids)
	return withFacts(slices.Compact(ids), d.Details)
}

// withFacts pairs sorted ids with their facts from d; facts of ids that
// are not holders are dropped.
func withFacts(ids []string, d *wireDetails) []Holder {
	holders := make([]Holder, len(ids))
	for i, id := range ids {
		holders[i] = Holder{ID: id}
		if d != nil {
			if f, ok := d.Holders[id]; ok {
				holders[i] = wireHolder{ID: id, wireFacts: f}.holder()
			}
		}
	}
	return holders
}

// encodeValue renders st as stored JSON. "semaphore" is Max-len(Holders),
// negative when there are more holders than slots, as old locksmith
// computes it.
func encodeValue(st State) ([]byte, error) {
	w := writeValue{Semaphore: st.Max - len(st.Holders), Max: st.Max, Holders: make([]string, len(st.Holders))}
	d := wireDetails{Holders: map[string]wireFacts{}}
	for i, h := range st.Holders {
		w.Holders[i] = h.ID
		if f := toWire(h).wireFacts; f != (wireFacts{}) {
			d.Holders[h.ID] = f
		}
	}
	if r := st.LastRemoval; r != nil {
		d.LastRemoval = &wireRemoval{Holder: toWire(r.Holder), By: r.By, Reason: r.Reason, At: r.At.UTC()}
	}
	if f := st.Freeze; f != nil {
		d.Freeze = &wireFreeze{PreviousMax: f.PreviousMax, Reason: f.Reason, At: f.At.UTC()}
	}
	for _, f := range st.Failures {
		d.Failures = append(d.Failures, wireFailure{ID: f.ID, Reason: f.Reason, At: f.At.UTC()})
	}
	if len(d.Holders) > 0 || d.LastRemoval != nil || d.Freeze != nil || len(d.Failures) > 0 {
		w.Details = &d
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode semaphore value: %w", err)
	}
	return b, nil
}

func toWire(h Holder) wireHolder {
	at := h.AcquiredAt
	if !at.IsZero() {
		at = at.UTC()
	}
	return wireHolder{ID: h.ID, wireFacts: wireFacts{AcquiredAt: at, Hostname: h.Hostname, BootID: h.BootID, Reason: h.Reason,
		OSVersion: h.OSVersion}}
}

func (w wireHolder) holder() Holder {
	return Holder{ID: w.ID, AcquiredAt: w.AcquiredAt, Hostname: w.Hostname, BootID: w.BootID, Reason: w.Reason, OSVersion: w.OSVersion}
}

// validateID rejects an empty id or one with white space.
func validateID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidID)
	}
	if strings.ContainsFunc(id, unicode.IsSpace) {
		return fmt.Errorf("%w: %q contains white space", ErrInvalidID, id)
	}
	return nil
}
