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
/// too old). A device whose Device resource is not <c>active</c> counts as not attested.
/// <para>
/// Bindings are cached, and the consent service's change feed (<see cref="RunChangeFeedAsync"/>) drops the entry of
/// any device whose Device resource changed. An entry is trusted while it is younger than the TTL or, past that,
/// while a feed read that started after it was fetched is younger than the TTL: then nothing about the device changed
/// since, and the batch is gated on the cached binding at once while a fresh copy is fetched in the background. So
/// with the feed running the hot path waits on HTTP only for a device it has never seen or one that just changed;
/// with the feed down, entries fall back to the plain TTL. A device the service does not know is remembered the
/// same way (an enrolment shows in the feed). When the service cannot be reached the device is unknown, so nothing
/// leaves the edge on a guess.
/// </para>
/// </summary>
public sealed class ConsentServiceDevices(HttpClient http, RevocationListClient revocations, TimeProvider clock, TimeSpan ttl) : IDeviceDirectory
{
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<Entry?>> _fetching = new(StringComparer.Ordinal);
    private long _epoch;
    private long _feedConfirmedTicks = long.MinValue;
    private string? _cursor;

    /// <summary>Bindings held now (for status output and tests).</summary>
    public int CachedCount => _cache.Count;

    public async ValueTask<DeviceStanding?> FindAsync(string device, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(device, out var cached))
        {
            var age = now - cached.At;
            var confirmedAge = now - new DateTimeOffset(Math.Max(cached.At.UtcTicks, Interlocked.Read(ref _feedConfirmedTicks)), TimeSpan.Zero);
            if (age < ttl || confirmedAge < ttl)
            {
                if (age >= ttl)
                {
                    // Still vouched for by the feed; refresh it for the next batches without holding this one.
                    _ = FetchOnceAsync(device, CancellationToken.None);
                }
                return WithRevocation(device, cached.Standing);
            }
        }
        var fetched = await FetchOnceAsync(device, cancellationToken).ConfigureAwait(false);
        return WithRevocation(device, fetched?.Standing);
    }

    /// <summary>Forgets a device's cached binding (after a change-feed notice).</summary>
    public void Invalidate(string device)
    {
        Interlocked.Increment(ref _epoch);
        _cache.TryRemove(device, out _);
    }

    /// <summary>
    /// Reads the change feed once and drops the bindings of the devices it names. Throws
    /// <see cref="HttpRequestException"/> or <see cref="JsonException"/> when the feed cannot be read.
    /// </summary>
    public async Task RefreshChangesAsync(CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        var path = _cursor is null ? "consent/v1/changes" : "consent/v1/changes?since=" + Uri.EscapeDataString(_cursor);
        var changes = await http.GetFromJsonAsync(path, BindingJsonContext.Default.Changes, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException("the change feed answered with nothing");
        if (changes.Reset || _cursor is null)
        {
            // Without an earlier cursor nothing says what changed before this read: start clean.
            Interlocked.Increment(ref _epoch);
            _cache.Clear();
        }
        else
        {
            foreach (var device in changes.Devices ?? [])
            {
                Invalidate(device);
            }
        }
        _cursor = changes.Cursor;
        Interlocked.Exchange(ref _feedConfirmedTicks, started.UtcTicks);
    }

    /// <summary>
    /// Runs <see cref="RefreshChangesAsync"/> every <paramref name="interval"/> until cancelled. A failed read keeps
    /// the cursor (the next read reports the gap) and stops vouching for entries past their TTL until one succeeds.
    /// </summary>
    public async Task RunChangeFeedAsync(TimeSpan interval, Action<Exception>? failed, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await RefreshChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failed?.Invoke(e);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private DeviceStanding? WithRevocation(string device, DeviceStanding? standing) =>
        standing is not null && revocations.IsRevoked(device) ? standing with { Revoked = true } : standing;

    /// <summary>One request per device at a time: concurrent lookups of a device share it.</summary>
    private Task<Entry?> FetchOnceAsync(string device, CancellationToken cancellationToken)
    {
        if (_fetching.TryGetValue(device, out var running))
        {
            return running.WaitAsync(cancellationToken);
        }
        var fetch = FetchAndCacheAsync(device);
        if (!_fetching.TryAdd(device, fetch))
        {
            return fetch.WaitAsync(cancellationToken);
        }
        _ = fetch.ContinueWith(_ => _fetching.TryRemove(new KeyValuePair<string, Task<Entry?>>(device, fetch)), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return fetch.WaitAsync(cancellationToken);
    }

    private async Task<Entry?> FetchAndCacheAsync(string device)
    {
        var epoch = Interlocked.Read(ref _epoch);
        var started = clock.GetUtcNow();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var (answered, standing) = await FetchAsync(device, timeout.Token).ConfigureAwait(false);
        if (!answered)
        {
            return null;
        }
        var entry = new Entry(standing, started);
        // A change noticed while this request was under way may postdate the answer: use it once, keep it not.
        if (Interlocked.Read(ref _epoch) == epoch)
        {
            _cache[device] = entry;
        }
        return entry;
    }

    /// <returns>Answered: the service gave a definite answer (bound, or not enrolled); false when it could not be asked.</returns>
    private async Task<(bool Answered, DeviceStanding? Standing)> FetchAsync(string device, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("consent/v1/devices/" + Uri.EscapeDataString(device), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (true, null);
            }
            if (!response.IsSuccessStatusCode)
            {
                return (false, null);
            }
            var binding = await response.Content.ReadFromJsonAsync(BindingJsonContext.Default.Binding, cancellationToken).ConfigureAwait(false);
            return binding is null ? (false, null) : (true, new DeviceStanding(device, binding.Status == "active", Revoked: false, binding.Patient));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException or ObjectDisposedException)
        {
            // Includes a background refresh outliving the HttpClient at shutdown.
            return (false, null);
        }
    }

    private sealed record Entry(DeviceStanding? Standing, DateTimeOffset At);

    internal sealed record Binding(
        [property: JsonPropertyName("deviceId")] string? DeviceId,
        [property: JsonPropertyName("patient")] string? Patient,
        [property: JsonPropertyName("status")] string? Status);

    internal sealed record Changes(
        [property: JsonPropertyName("cursor")] string Cursor,
        [property: JsonPropertyName("devices")] IReadOnlyList<string>? Devices,
        [property: JsonPropertyName("reset")] bool Reset);
}

[JsonSerializable(typeof(ConsentServiceDevices.Binding))]
[JsonSerializable(typeof(ConsentServiceDevices.Changes))]
internal sealed partial class BindingJsonContext : JsonSerializerContext;
