package ui

import (
	"image"
	"image/color"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"rsc.io/qr"
)

// The QR codes are read back, not only compared with golden files: the half blocks on screen are
// parsed into the module matrix, which must be the encoder's, and a QR decoder (gozxing, a port
// of ZXing) must read the address from it.

// modulesFromBlocks parses qrBlock's half blocks (two pixel rows per character: a space is dark
// over dark, "▀" light over dark, "█" light over light, "▄" dark over light; dark is the
// terminal's background) into the code's modules, dropping qrBlock's one-module light quiet zone
// and the dark half row above it.
func modulesFromBlocks(t *testing.T, block string) [][]bool {
	t.Helper()
	var px [][]bool // px[row][col]: true = dark
	for _, line := range strings.Split(block, "\n") {
		top, bottom := []bool{}, []bool{}
		for _, r := range line {
			switch r {
			case ' ':
				top, bottom = append(top, true), append(bottom, true)
			case '▀':
				top, bottom = append(top, false), append(bottom, true)
			case '█':
				top, bottom = append(top, false), append(bottom, false)
			case '▄':
				top, bottom = append(top, true), append(bottom, false)
			default:
				t.Fatalf("unexpected %q in the QR block", r)
			}
		}
		px = append(px, top, bottom)
	}
	size := len(px[0]) - 2 // the light column on each side
	if size < 21 || (size-21)%4 != 0 {
		t.Fatalf("the block is %d modules wide: not a QR code size", size)
	}
	// Row 0 is the background above the code, row 1 the quiet zone; column 0 the quiet zone.
	for c := range px[0] {
		if !px[0][c] || px[1][c] {
			t.Fatalf("the quiet zone above the code is broken at column %d", c)
		}
	}
	m := make([][]bool, size)
	for y := range size {
		if px[y+2][0] || px[y+2][size+1] {
			t.Fatalf("the quiet zone beside row %d is broken", y)
		}
		m[y] = px[y+2][1 : size+1]
	}
	return m
}

// decodeModules reads a module matrix with a QR decoder, as a camera would see it printed with
// a four-module quiet zone, four pixels a module.
func decodeModules(t *testing.T, m [][]bool) string {
	t.Helper()
	text, err := decode(m)
	if err != nil {
		t.Fatalf("the QR code on screen does not decode: %v", err)
	}
	return text
}

func decode(m [][]bool) (string, error) {
	const scale, quiet = 4, 4
	n := (len(m) + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			img.SetGray(x, y, color.Gray{Y: 255})
			my, mx := y/scale-quiet, x/scale-quiet
			if my >= 0 && my < len(m) && mx >= 0 && mx < len(m) && m[my][mx] {
				img.SetGray(x, y, color.Gray{Y: 0})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func plainRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// TestQRCodesDecodeToTheirText: the bank step's code (the address, ~200 characters) and the
// enrolment's (an otpauth URI) are the encoder's matrices and decode back to exactly their text.
func TestQRCodesDecodeToTheirText(t *testing.T) {
	st := newStyles(plainRenderer(), DefaultTheme(), false)
	for _, text := range []string{
		fakeStep.URL,
		"otpauth://totp/payterm:test?secret=TESTTESTTESTTESTTESTTESTTESTTEST&issuer=payterm",
		"https://auth1.bank.example/authorize?client_id=a&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3AShort",
	} {
		block := qrBlock(st, text)
		if block == "" {
			t.Fatalf("no code for %q", text)
		}
		m := modulesFromBlocks(t, block)
		want, err := qr.Encode(text, qr.L)
		if err != nil {
			t.Fatal(err)
		}
		if want.Size != len(m) {
			t.Fatalf("%q: %d modules on screen, the encoder made %d", text, len(m), want.Size)
		}
		for y := range m {
			for x := range m {
				if m[y][x] != want.Black(x, y) {
					t.Fatalf("%q: module (%d,%d) on screen differs from the encoder's", text, x, y)
				}
			}
		}
		if got := decodeModules(t, m); got != text {
			t.Fatalf("decoded %q, want %q", got, text)
		}
	}
}

// TestQRDecodeCatchesADamagedCode: the check above can fail: a code for other text decodes to
// that text, and a code with its top-left finder pattern wiped does not decode.
func TestQRDecodeCatchesADamagedCode(t *testing.T) {
	st := newStyles(plainRenderer(), DefaultTheme(), false)
	if got := decodeModules(t, modulesFromBlocks(t, qrBlock(st, fakeStep.URL+"x"))); got == fakeStep.URL {
		t.Fatal("a code for other text decoded to the address")
	}
	m := modulesFromBlocks(t, qrBlock(st, fakeStep.URL))
	for y := range 7 {
		for x := range 7 {
			m[y][x] = false
		}
	}
	if text, err := decode(m); err == nil {
		t.Fatalf("a code without its top-left finder pattern decoded to %q", text)
	}
}

// QRTextOnScreen finds the QR code in a frame (the lines made only of half blocks and spaces)
// and returns what it decodes to; it fails the test when there is none or it does not decode.
func QRTextOnScreen(t *testing.T, view string) string {
	t.Helper()
	var block []string
	for _, l := range strings.Split(view, "\n") {
		isCode := strings.ContainsAny(l, "▀█▄") && strings.Trim(l, " ▀█▄") == ""
		switch {
		case isCode:
			block = append(block, l)
		case len(block) > 0:
			return decodeModules(t, modulesFromBlocks(t, strings.Join(block, "\n")))
		}
	}
	if len(block) == 0 {
		t.Fatalf("no QR code on screen:\n%s", view)
	}
	return decodeModules(t, modulesFromBlocks(t, strings.Join(block, "\n")))
}
