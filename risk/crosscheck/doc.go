// Package crosscheck holds only tests: it runs the Risk blocks that risk/
// builds through the sandbox's independent implementation of the bank's
// checks (sandbox/rules), so a misreading of the standard shared by the
// builder and the official-schema test would still be caught by the other
// side. It lives apart from risk/ so that risk's own tests never depend on
// the sandbox compiling.
package crosscheck
