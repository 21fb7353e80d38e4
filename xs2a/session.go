package xs2a

import (
	"errors"
	"net/url"

	"github.com/payterm/payterm/internal/safetext"
)

// SessionDeniedError: the bank sent the PSU back without a session (its "message" parameter,
// cleaned, is Message).
type SessionDeniedError struct{ Message string }

func (e *SessionDeniedError) Error() string {
	return "the bank did not open a session: log in at the bank again"
}

// ParseSessionCallback reads SpareBank 1's redirect back after the PSU logged in: the query
// parameters psu-id and tpp-session-id, or message on failure. Both values must be printable
// ASCII without spaces (they become headers we sign); the state check is the caller's, as for
// any redirect.
func ParseSessionCallback(q url.Values) (Session, error) {
	if len(q["psu-id"]) > 1 || len(q["tpp-session-id"]) > 1 {
		return Session{}, errors.New("the bank's redirect repeats psu-id or tpp-session-id: log in at the bank again")
	}
	psu, sid := q.Get("psu-id"), q.Get("tpp-session-id")
	if psu == "" || sid == "" {
		if m := q.Get("message"); m != "" {
			return Session{}, &SessionDeniedError{Message: safetext.Short(m, 200)}
		}
		return Session{}, errors.New("the bank's redirect has no psu-id and tpp-session-id: log in at the bank again")
	}
	if _, err := resourceID("psu-id", psu); err != nil {
		return Session{}, errors.New("the bank's psu-id is malformed: log in at the bank again")
	}
	if _, err := resourceID("tpp-session-id", sid); err != nil {
		return Session{}, errors.New("the bank's tpp-session-id is malformed: log in at the bank again")
	}
	return Session{PSUID: psu, TPPSessionID: Secret(sid)}, nil
}
