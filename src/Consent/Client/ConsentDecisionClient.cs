using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Consent.Policy;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Client;

/// <summary>
/// The edge's client for <c>POST /consent/v1/decide</c>, with a decision cache: a fresh entry (younger than the
/// TTL) is reused; entries of a patient or device whose Consent or Device changed are dropped when
/// <see cref="RefreshChangesAsync"/> reads the change feed; and when the service cannot be reached and no fresh
/// entry exists the answer is deny (fail closed) — a stale permit is never reused.
/// </summary>
public sealed class ConsentDecisionClient
{
    private readonly HttpClient _http;
    private readonly ConsentClientOptions _options;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private string? _cursor;

    /// <param name="http">An HttpClient whose BaseAddress is the consent service.</param>
    public ConsentDecisionClient(HttpClient http, ConsentClientOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _options = options;
        _clock = clock;
    }

    public int CachedCount => _cache.Count;

    public async Task<ConsentDecision> DecideAsync(ConsentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A decision that does not depend on the data time is cached for every reading of the same question.
        var general = Key(request, withDataTime: false);
        var specific = Key(request, withDataTime: true);
        var now = _clock.GetUtcNow();
        if ((_cache.TryGetValue(general, out var cached) || _cache.TryGetValue(specific, out cached)) && now - cached.FetchedAt < _options.CacheTtl)
        {
            return cached.Decision;
        }

        ConsentDecision decision;
        try
        {
            decision = await FetchAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or ConsentServiceException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Unreachable, too slow or answering nonsense: nothing leaves the edge on an old answer.
            return Unreachable(request, ex);
        }

        if (_cache.Count >= _options.MaxEntries)
        {
            _cache.Clear();
        }

        _cache[decision.DependsOnDataTime ? specific : general] = new Entry(decision, now, request.Patient, request.Device);
        return decision;
    }

    /// <summary>Reads the service's change feed once and drops the cached decisions it makes stale.</summary>
    public async Task<RecordChanges> RefreshChangesAsync(CancellationToken cancellationToken)
    {
        var path = _cursor is null ? "consent/v1/changes" : "consent/v1/changes?since=" + Uri.EscapeDataString(_cursor);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var changes = await _http.GetFromJsonAsync<RecordChanges>(path, Json, timeout.Token).ConfigureAwait(false)
            ?? throw new ConsentServiceException("the change feed answered with nothing");
        if (changes.Reset || _cursor is null)
        {
            // Without a cursor nothing says what changed before it: start clean.
            _cache.Clear();
        }
        else
        {
            foreach (var patient in changes.Patients)
            {
                Invalidate(patient: patient);
            }

            foreach (var device in changes.Devices)
            {
                Invalidate(device: "Device/" + device);
            }
        }

        _cursor = changes.Cursor;
        return changes;
    }

    /// <summary>Runs <see cref="RefreshChangesAsync"/> every <paramref name="interval"/> until cancelled; a failed poll clears the cache.</summary>
    public async Task RunInvalidationAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _clock);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await RefreshChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or ConsentServiceException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Changes may have been missed: forget everything rather than trust it.
                _cache.Clear();
                _cursor = null;
            }
        }
    }

    /// <summary>Drops cached decisions of a patient ("Patient/123") and/or a device ("Device/y").</summary>
    public void Invalidate(string? patient = null, string? device = null)
    {
        foreach (var (key, entry) in _cache)
        {
            if ((patient is not null && entry.Patient == patient) || (device is not null && entry.Device == device))
            {
                _cache.TryRemove(key, out _);
            }
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<ConsentDecision> FetchAsync(ConsentRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["patient"] = request.Patient,
            ["purpose"] = request.Purpose,
            ["codes"] = new JsonArray(request.Codes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
        };
        Optional(body, "actor", request.Actor);
        Optional(body, "device", request.Device);
        Optional(body, "action", request.Action);
        Optional(body, "dataTime", request.DataTime?.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        using var response = await _http.PostAsJsonAsync("consent/v1/decide", body, Json, timeout.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            throw new ConsentServiceException($"the consent service answered {(int)response.StatusCode}: {detail}");
        }

        var decision = await response.Content.ReadFromJsonAsync<ConsentDecision>(Json, timeout.Token).ConfigureAwait(false)
            ?? throw new ConsentServiceException("the consent service answered with an empty body");

        // Without the header the decision is taken to depend on the data time: cached for this reading only.
        var independent = response.Headers.TryGetValues(Http.ConsentApi.DataTimeHeader, out var values) && values.Contains("false", StringComparer.Ordinal);
        return decision with { DependsOnDataTime = !independent };
    }

    private static ConsentDecision Unreachable(ConsentRequest request, Exception ex) =>
        new(
            DecisionOutcome.Deny,
            request.Codes.Select(c => new CodeDecision(c, DecisionOutcome.Deny, null, null)).ToList(),
            ["the consent service could not be asked (" + ex.GetType().Name + "); failing closed"]);

    private static void Optional(JsonObject body, string name, string? value)
    {
        if (value is not null)
        {
            body[name] = value;
        }
    }

    private static string Key(ConsentRequest r, bool withDataTime) =>
        string.Join('\u001f', r.Patient, r.Purpose, r.Actor ?? "", r.Device ?? "", r.Action ?? "",
            withDataTime ? r.DataTime?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? "-" : "*", string.Join(',', r.Codes));

    private sealed record Entry(ConsentDecision Decision, DateTimeOffset FetchedAt, string Patient, string? Device);
}

/// <summary>The consent service answered, but not with a decision.</summary>
public sealed class ConsentServiceException : Exception
{
    public ConsentServiceException()
    {
    }

    public ConsentServiceException(string message)
        : base(message)
    {
    }

    public ConsentServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
