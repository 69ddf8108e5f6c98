using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Service;

namespace PatientStream.Consent.Records;

/// <summary>
/// <see cref="IConsentRecords"/> over the FHIR store (src/Fhir): Consents by patient search, Devices as
/// Device/{deviceId}, AuditEvents created like any other resource, and the change feed from the store's history.
/// </summary>
public sealed class FhirConsentRecords(FhirService fhir, TimeProvider clock) : IConsentRecords
{
    private const int PageSize = 500;

    // More changes than this between two polls: tell clients to drop everything rather than page through history.
    private const int MaxChanges = 1000;

    private readonly FhirService _fhir = fhir;
    private readonly TimeProvider _clock = clock;

    public async Task<IReadOnlyList<JsonElement>> ConsentsOfAsync(string patient, CancellationToken cancellationToken)
    {
        var consents = new List<JsonElement>();
        var result = await _fhir.SearchAsync("Consent", [new("patient", patient), new("_count", PageSize.ToString(CultureInfo.InvariantCulture))], strict: true, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            consents.AddRange(result.Page.Matches.Select(m => JsonSerializer.Deserialize<JsonElement>(m.Json)));
            if (!result.Page.HasNext)
            {
                return consents;
            }

            var offset = result.Page.Offset + result.Page.Count;
            result = await _fhir.PageAsync(result.Page.SearchId!, offset, PageSize, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the Consent result set expired while it was being read");
        }
    }

    public async Task<JsonElement?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await _fhir.ReadAsync("Device", deviceId, cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Deserialize<JsonElement>(stored.Json);
        }
        catch (Exception ex) when (ex is ResourceNotFoundException or ResourceGoneException)
        {
            return null;
        }
    }

    public async Task<string> SaveDeviceAsync(string deviceId, JsonObject device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        var resource = device.DeepClone().AsObject();
        resource["id"] = deviceId;
        await _fhir.UpdateAsync("Device", deviceId, resource, null, cancellationToken).ConfigureAwait(false);
        return "Device/" + deviceId;
    }

    public Task AppendAuditAsync(JsonObject auditEvent, CancellationToken cancellationToken) =>
        _fhir.CreateAsync(auditEvent, null, cancellationToken);

    public async Task<RecordChanges> ChangesSinceAsync(string? cursor, CancellationToken cancellationToken)
    {
        if (cursor is null || !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            return new RecordChanges(_clock.GetUtcNow().UtcTicks.ToString(CultureInfo.InvariantCulture), [], [], Reset: cursor is not null);
        }

        // History's since is inclusive (FHIR _since) and the version at the cursor was reported last time: start one tick later.
        var since = new DateTimeOffset(ticks + 1, TimeSpan.Zero);
        var consents = await _fhir.HistoryAsync("Consent", null, since, MaxChanges, cancellationToken).ConfigureAwait(false);
        var devices = await _fhir.HistoryAsync("Device", null, since, MaxChanges, cancellationToken).ConfigureAwait(false);
        var latest = consents.Concat(devices).Select(v => v.LastUpdated.UtcTicks).DefaultIfEmpty(ticks).Max();
        var next = latest.ToString(CultureInfo.InvariantCulture);

        var patients = new HashSet<string>(StringComparer.Ordinal);
        foreach (var version in consents)
        {
            // A deleted version carries no body: nothing says whose consent it was.
            var patient = version.Deleted ? null : JsonNode.Parse(version.Json)?["patient"]?["reference"]?.GetValue<string>();
            if (patient is null)
            {
                return new RecordChanges(next, [], [], Reset: true);
            }

            patients.Add(patient);
        }

        var reset = consents.Count >= MaxChanges || devices.Count >= MaxChanges;
        return new RecordChanges(next, [.. patients], [.. devices.Select(d => d.Id).Distinct(StringComparer.Ordinal)], reset);
    }
}

public static class FhirConsentRecordsServiceCollectionExtensions
{
    /// <summary>Keeps the consent service's records in the FHIR store registered by <c>AddFhirServer</c>.</summary>
    public static IServiceCollection AddConsentFhirRecords(this IServiceCollection services) =>
        services.AddSingleton<IConsentRecords>(sp => new FhirConsentRecords(
            sp.GetRequiredService<FhirService>(), sp.GetService<TimeProvider>() ?? TimeProvider.System));
}
