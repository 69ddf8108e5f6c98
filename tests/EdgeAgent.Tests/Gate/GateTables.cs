using System.Collections.Concurrent;
using PatientStream.EdgeAgent.Audit;
using PatientStream.EdgeAgent.Gate;

namespace PatientStream.EdgeAgent.Tests.Gate;

/// <summary>A device registry held in memory, changeable while the gate runs.</summary>
internal sealed class DeviceTable : IDeviceDirectory
{
    private readonly ConcurrentDictionary<string, DeviceStanding> _devices = new(StringComparer.Ordinal);

    public DeviceTable Add(string device, string? patient, bool attested = true, bool revoked = false)
    {
        _devices[device] = new DeviceStanding(device, attested, revoked, patient);
        return this;
    }

    public ValueTask<DeviceStanding?> FindAsync(string device, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_devices.GetValueOrDefault(device));
}

/// <summary>Consent as a table: the codes each patient permits; every other code is denied.</summary>
internal sealed class ConsentTable : IConsentDecider
{
    private readonly ConcurrentDictionary<string, HashSet<string>> _permitted = new(StringComparer.Ordinal);

    public ConcurrentQueue<EdgeConsentRequest> Requests { get; } = new();

    public ConsentTable Permit(string patient, params string[] types)
    {
        _permitted[patient] = types.Select(t => SampleCodes.TryGetCode(t, out var code) ? code : t).ToHashSet(StringComparer.Ordinal);
        return this;
    }

    public ValueTask<EdgeConsentDecision> DecideAsync(EdgeConsentRequest request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var permitted = _permitted.GetValueOrDefault(request.Patient) ?? [];
        var granted = request.Codes.Where(permitted.Contains).ToHashSet(StringComparer.Ordinal);
        var outcome = granted.Count == 0 ? EdgeConsentOutcome.Deny
            : granted.Count == request.Codes.Count ? EdgeConsentOutcome.Permit : EdgeConsentOutcome.Partial;
        return ValueTask.FromResult(new EdgeConsentDecision(outcome, granted, ["Consent/" + request.Patient.Replace('/', '-')]));
    }
}

internal sealed class RecordingAudit : IEdgeAudit
{
    public ConcurrentQueue<EdgeAuditRecord> Records { get; } = new();

    public void Record(EdgeAuditRecord record) => Records.Enqueue(record);
}
