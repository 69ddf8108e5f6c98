using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>
/// The records a test sets up (Consents, Devices) and the AuditEvents the service appends, kept in memory so the
/// test can assert on exactly what was written. It stands in for the FHIR store behind <see cref="IConsentRecords"/>.
/// </summary>
public sealed class RecordedConsentRecords : IConsentRecords
{
    private readonly ConcurrentDictionary<string, JsonObject> _consents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<JsonObject> _audit = new();
    private readonly List<(long Sequence, string? Patient, string? Device)> _changes = [];
    private long _sequence;

    public IReadOnlyList<JsonObject> AuditEvents => _audit.ToList();

    public IEnumerable<JsonObject> AuditOf(string subtype) =>
        AuditEvents.Where(e => e["subtype"]![0]!["code"]!.GetValue<string>() == subtype);

    public void PutConsent(JsonObject consent)
    {
        var id = consent["id"]!.GetValue<string>();
        _consents[id] = consent;
        Changed(consent["patient"]?["reference"]?.GetValue<string>(), null);
    }

    public Task<IReadOnlyList<JsonElement>> ConsentsOfAsync(string patient, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JsonElement>>(_consents.Values
            .Where(c => c["patient"]?["reference"]?.GetValue<string>() == patient)
            .Select(c => JsonSerializer.Deserialize<JsonElement>(c.ToJsonString()))
            .ToList());

    public Task<JsonElement?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        Task.FromResult(_devices.TryGetValue(deviceId, out var d) ? JsonSerializer.Deserialize<JsonElement>(d.ToJsonString()) : (JsonElement?)null);

    public Task<string> SaveDeviceAsync(string deviceId, JsonObject device, CancellationToken cancellationToken)
    {
        var stored = device.DeepClone().AsObject();
        stored["id"] = deviceId;
        _devices[deviceId] = stored;
        Changed(null, deviceId);
        return Task.FromResult("Device/" + deviceId);
    }

    public Task AppendAuditAsync(JsonObject auditEvent, CancellationToken cancellationToken)
    {
        _audit.Enqueue(auditEvent.DeepClone().AsObject());
        return Task.CompletedTask;
    }

    public Task<RecordChanges> ChangesSinceAsync(string? cursor, CancellationToken cancellationToken)
    {
        lock (_changes)
        {
            var since = cursor is null ? _sequence : long.Parse(cursor, CultureInfo.InvariantCulture);
            var newer = _changes.Where(c => c.Sequence > since).ToList();
            return Task.FromResult(new RecordChanges(
                _sequence.ToString(CultureInfo.InvariantCulture),
                newer.Where(c => c.Patient is not null).Select(c => c.Patient!).Distinct().ToList(),
                newer.Where(c => c.Device is not null).Select(c => c.Device!).Distinct().ToList(),
                Reset: false));
        }
    }

    private void Changed(string? patient, string? device)
    {
        lock (_changes)
        {
            _changes.Add((++_sequence, patient, device));
        }
    }
}
