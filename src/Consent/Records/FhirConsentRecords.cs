using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;

namespace PatientStream.Consent.Records;

/// <summary>
/// The consent service's records in the FHIR store, called in-process: Consents searched by patient, Devices at
/// Device/{deviceId}, AuditEvents appended, and changes read from the Consent and Device type histories.
/// </summary>
public sealed class FhirConsentRecords(FhirService fhir, TimeProvider clock) : IConsentRecords
{
    /// <summary>More changes than this since a cursor and every cached decision is dropped instead of listing them.</summary>
    private const int MaxChangesPerRead = 1_000;

    private const int PageSize = 200;

    public async Task<IReadOnlyList<JsonElement>> ConsentsOfAsync(string patient, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(patient);
        var consents = new List<JsonElement>();
        var result = await fhir.SearchAsync("Consent", [new("patient", patient), new("_count", PageSize.ToString(CultureInfo.InvariantCulture))],
            strict: true, cancellationToken).ConfigureAwait(false);
        var page = result.Page;
        while (true)
        {
            consents.AddRange(page.Matches.Select(m => JsonDocument.Parse(m.Json).RootElement.Clone()));
            if (!page.HasNext || await fhir.PageAsync(page.SearchId!, page.Offset + page.Count, PageSize, cancellationToken).ConfigureAwait(false) is not { } next)
            {
                return consents;
            }
            page = next.Page;
        }
    }

    public async Task<JsonElement?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        try
        {
            var stored = await fhir.ReadAsync("Device", deviceId, cancellationToken).ConfigureAwait(false);
            return JsonDocument.Parse(stored.Json).RootElement.Clone();
        }
        catch (ResourceNotFoundException)
        {
            return null;
        }
        catch (ResourceGoneException)
        {
            return null;
        }
    }

    public async Task<string> SaveDeviceAsync(string deviceId, JsonObject device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        device["resourceType"] = "Device";
        device["id"] = deviceId;
        await fhir.UpdateAsync("Device", deviceId, device, cancellationToken: cancellationToken).ConfigureAwait(false);
        return $"Device/{deviceId}";
    }

    public async Task AppendAuditAsync(JsonObject auditEvent, CancellationToken cancellationToken) =>
        await fhir.CreateAsync(auditEvent, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<RecordChanges> ChangesSinceAsync(string? cursor, CancellationToken cancellationToken)
    {
        if (cursor is null)
        {
            return new RecordChanges(Format(clock.GetUtcNow()), [], [], Reset: false);
        }
        if (!DateTimeOffset.TryParse(cursor, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var since))
        {
            return new RecordChanges(Format(clock.GetUtcNow()), [], [], Reset: true);
        }
        // History's since is inclusive (FHIR _since); the version at the cursor itself was reported last time.
        var consents = (await fhir.HistoryAsync("Consent", null, since, MaxChangesPerRead + 2, cancellationToken).ConfigureAwait(false))
            .Where(v => v.LastUpdated > since).ToList();
        var devices = (await fhir.HistoryAsync("Device", null, since, MaxChangesPerRead + 2, cancellationToken).ConfigureAwait(false))
            .Where(v => v.LastUpdated > since).ToList();
        var newest = consents.Concat(devices).Select(v => v.LastUpdated).DefaultIfEmpty(since).Max();
        if (consents.Count > MaxChangesPerRead || devices.Count > MaxChangesPerRead)
        {
            return new RecordChanges(Format(newest), [], [], Reset: true);
        }
        // A deleted version has no body: the patient is unknown, so the safe answer is to drop every cached decision.
        var reset = consents.Any(v => v.Deleted);
        var patients = consents.Where(v => !v.Deleted).Select(PatientOf).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var deviceIds = devices.Select(v => v.Id).Distinct(StringComparer.Ordinal).ToList();
        return new RecordChanges(Format(newest), patients, deviceIds, reset);
    }

    private static string? PatientOf(StoredResource version) =>
        JsonNode.Parse(version.Json)?["patient"]?["reference"]?.GetValue<string>();

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
