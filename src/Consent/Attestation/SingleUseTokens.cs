using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PatientStream.Consent.Attestation;

/// <summary>
/// Single-use, short-lived server tokens (attestation nonces, TPM challenges) with a payload. A redeemed token is
/// remembered until it would have expired, so a replay is told apart from a token never issued. The number of
/// outstanding tokens is capped so a flood of requests cannot exhaust memory.
/// </summary>
internal sealed class SingleUseTokens<T>(TimeProvider clock, TimeSpan lifetime, int capacity)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = clock;
    private readonly TimeSpan _lifetime = lifetime;
    private readonly int _capacity = capacity;

    public (string Token, DateTimeOffset ExpiresAt) Issue(T payload)
    {
        var now = _clock.GetUtcNow();
        if (_entries.Count >= _capacity)
        {
            Prune(now);
            if (_entries.Count >= _capacity)
            {
                throw new AttestationException(AttestationError.TooManyPendingChallenges, "too many attestations are in progress; retry later");
            }
        }

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var expiresAt = now + _lifetime;
        _entries[token] = new Entry(payload, expiresAt, Redeemed: false);
        return (token, expiresAt);
    }

    /// <summary>Redeems a token once; every other outcome is a typed refusal.</summary>
    public T Redeem(string? token)
    {
        var now = _clock.GetUtcNow();
        if (string.IsNullOrEmpty(token) || !_entries.TryGetValue(token, out var entry))
        {
            throw new AttestationException(AttestationError.NonceUnknown, "the nonce was not issued by this service (or has long expired)");
        }

        if (entry.Redeemed)
        {
            throw new AttestationException(AttestationError.NonceReplayed, "the nonce has already been used");
        }

        if (now > entry.ExpiresAt)
        {
            _entries.TryRemove(token, out _);
            throw new AttestationException(AttestationError.NonceExpired, $"the nonce expired at {entry.ExpiresAt:O}");
        }

        // Only one concurrent redeemer wins the swap; the other sees a replay.
        if (!_entries.TryUpdate(token, entry with { Redeemed = true }, entry))
        {
            throw new AttestationException(AttestationError.NonceReplayed, "the nonce has already been used");
        }

        return entry.Payload;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (token, entry) in _entries)
        {
            if (now > entry.ExpiresAt)
            {
                _entries.TryRemove(token, out _);
            }
        }
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Entry(T Payload, DateTimeOffset ExpiresAt, bool Redeemed);
}
