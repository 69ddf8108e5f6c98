using System.Net.Http.Json;
using System.Text.Json;
using PatientStream.Consent.Ca;

namespace PatientStream.Consent.Client;

/// <summary>
/// The edge's copy of the device revocation list (<c>GET /attestation/v1/revocations</c>). The edge refreshes it
/// periodically; if no refresh has succeeded within <see cref="MaxAge"/> every device counts as revoked, so a
/// partitioned edge stops forwarding rather than trusting an old list.
/// </summary>
public sealed class RevocationListClient(HttpClient http, TimeProvider clock, TimeSpan maxAge)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = http;
    private readonly TimeProvider _clock = clock;
    private volatile Snapshot? _snapshot;

    public TimeSpan MaxAge { get; } = maxAge;

    /// <summary>Fetches the list; on failure the previous list stays in use until it is too old.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var list = await _http.GetFromJsonAsync<RevocationList>("attestation/v1/revocations", Json, cancellationToken).ConfigureAwait(false);
            if (list is null)
            {
                return false;
            }

            _snapshot = new Snapshot(list.Devices.Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal), _clock.GetUtcNow());
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>True when the device is revoked, or when the list is missing or older than <see cref="MaxAge"/>.</summary>
    public bool IsRevoked(string deviceId)
    {
        var snapshot = _snapshot;
        return snapshot is null || _clock.GetUtcNow() - snapshot.FetchedAt > MaxAge || snapshot.Devices.Contains(deviceId);
    }

    private sealed record Snapshot(HashSet<string> Devices, DateTimeOffset FetchedAt);
}
