package ui

import "context"

// The cleaning boundary (cleanwallet.go) for BundleService: every string a bundle's answers
// carry passes safetext.Line before a screen holds it.

var _ BundleService = cleanWallet{}

// errNoBundles: the wallet behind the screens pays no bundles.
var errNoBundles = &Problem{What: "This wallet pays no bundles.", Next: "Pay each payment on its own (p on Home)."}

func (c cleanWallet) PrepareBundle(ctx context.Context, consentID string, items []PaymentDraft) (PreparedBundle, error) {
	bs, ok := c.w.(BundleService)
	if !ok {
		return PreparedBundle{}, errNoBundles
	}
	v, err := bs.PrepareBundle(ctx, consentID, items)
	return cleaned(v), err
}

func (c cleanWallet) SubmitBundle(ctx context.Context, bundleID string, in SCAInput) (<-chan BundleEvent, error) {
	bs, ok := c.w.(BundleService)
	if !ok {
		return nil, errNoBundles
	}
	ch, err := bs.SubmitBundle(ctx, bundleID, in)
	if ch == nil {
		return nil, err
	}
	out := make(chan BundleEvent, cap(ch))
	go func() {
		defer close(out)
		for ev := range ch {
			out <- cleaned(ev)
		}
	}()
	return out, err
}

func (c cleanWallet) RevokeBundle(ctx context.Context, bundleID string) ([]BundleItem, error) {
	bs, ok := c.w.(BundleService)
	if !ok {
		return nil, errNoBundles
	}
	v, err := bs.RevokeBundle(ctx, bundleID)
	return cleaned(v), err
}
