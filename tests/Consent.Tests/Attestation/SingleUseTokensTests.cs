using PatientStream.Consent.Attestation;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Attestation;

public sealed class SingleUseTokensTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Token_redeems_once_with_its_payload()
    {
        var tokens = new SingleUseTokens<string>(_clock, TimeSpan.FromMinutes(2), 10);
        var (token, expiresAt) = tokens.Issue("dev-1");

        Assert.Equal(_clock.GetUtcNow().AddMinutes(2), expiresAt);
        Assert.Equal("dev-1", tokens.Redeem(token));
        Assert.Equal(AttestationError.NonceReplayed, Assert.Throws<AttestationException>(() => tokens.Redeem(token)).Error);
    }

    [Fact]
    public void Outstanding_tokens_are_capped_until_old_ones_expire()
    {
        var tokens = new SingleUseTokens<int>(_clock, TimeSpan.FromMinutes(2), 2);
        tokens.Issue(1);
        tokens.Issue(2);

        Assert.Equal(AttestationError.TooManyPendingChallenges, Assert.Throws<AttestationException>(() => tokens.Issue(3)).Error);

        _clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(3, tokens.Redeem(tokens.Issue(3).Token));
    }

    [Fact]
    public void Error_codes_are_kebab_case_on_the_wire()
    {
        Assert.Equal("nonce-replayed", AttestationException.ToCode(AttestationError.NonceReplayed));
        Assert.Equal("unknown-ca", AttestationException.ToCode(AttestationError.UnknownCa));
        Assert.Equal("tpm-credential-mismatch", AttestationException.ToCode(AttestationError.TpmCredentialMismatch));
    }
}
