using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using PatientStream.Consent.Client;
using PatientStream.EdgeAgent.Gate;

namespace PatientStream.EdgeAgent.Registry;

/// <summary>
/// Device standing from the consent service: the binding (<c>GET consent/v1/devices/{id}</c>: patient and status)
/// and the revocation list (<see cref="RevocationListClient"/>, which counts every device revoked when its list is
/// too old). Bindings are cached for <paramref name="ttl"/>; a revocation takes effect at the next list refresh.
/// A device whose Device resource is not <c>active</c> counts as not attested. When the service cannot be reached
/// the device is unknown, so nothing leaves the edge on a guess.
/// </summary>
public sealed class ConsentServiceDevices(HttpClient http, RevocationListClient revocations, TimeProvider clock, TimeSpan ttl) : IDeviceDirectory
{
    private readonly ConcurrentDictionary<string, (DeviceStanding? Standing, DateTimeOffset At)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<DeviceStanding?> FindAsync(string device, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        var now = clock.GetUtcNow();
        if (!_cache.TryGetValue(device, out var cached) || now - cached.At >= ttl)
        {
            cached = (await FetchAsync(device, cancellationToken).ConfigureAwait(false), now);
            if (cached.Standing is not null)
            {
                _cache[device] = cached;
            }
        }
        return cached.Standing is { } standing && revocations.IsRevoked(device) ? standing with { Revoked = true } : cached.Standing;
    }

    /// <summary>Forgets a device's cached binding (after a change-feed notice).</summary>
    public void Invalidate(string device) => _cache.TryRemove(device, out _);

    private async Task<DeviceStanding?> FetchAsync(string device, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("consent/v1/devices/" + Uri.EscapeDataString(device), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound || !response.IsSuccessStatusCode)
            {
                return null;
            }
            var binding = await response.Content.ReadFromJsonAsync(BindingJsonContext.Default.Binding, cancellationToken).ConfigureAwait(false);
            return binding is null ? null : new DeviceStanding(device, binding.Status == "active", Revoked: false, binding.Patient);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    internal sealed record Binding(
        [property: JsonPropertyName("deviceId")] string? DeviceId,
        [property: JsonPropertyName("patient")] string? Patient,
        [property: JsonPropertyName("status")] string? Status);
}

[JsonSerializable(typeof(ConsentServiceDevices.Binding))]
internal sealed partial class BindingJsonContext : JsonSerializerContext;
