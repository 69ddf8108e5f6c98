using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Gate;

/// <summary>What the edge knows about a device: attested (holds an operational certificate), revoked, bound to a patient.</summary>
/// <param name="Patient">"Patient/123" when the device is bound to a patient.</param>
public sealed record DeviceStanding(string Device, bool Attested, bool Revoked, string? Patient);

/// <summary>The device registry and revocation list as the gate sees them.</summary>
public interface IDeviceDirectory
{
    /// <summary>The device's standing, or null for a device the site never enrolled.</summary>
    ValueTask<DeviceStanding?> FindAsync(string device, CancellationToken cancellationToken);
}

/// <summary>A consent question for one batch: may these codes of this patient leave the edge for this purpose.</summary>
/// <param name="Codes">"system|code" of every sample type in the batch.</param>
public sealed record EdgeConsentRequest(string Patient, string Device, string Purpose, IReadOnlyList<string> Codes, DateTimeOffset DataTime);

public enum EdgeConsentOutcome
{
    Permit,
    Partial,
    Deny,
}

/// <summary>The consent answer: which of the requested codes are permitted, and the Consent resources that decided.</summary>
public sealed record EdgeConsentDecision(EdgeConsentOutcome Outcome, IReadOnlySet<string> PermittedCodes, IReadOnlyList<string> Consents)
{
    public static EdgeConsentDecision Deny(params string[] consents) =>
        new(EdgeConsentOutcome.Deny, new HashSet<string>(StringComparer.Ordinal), consents);
}

/// <summary>The consent service (through its caching, fail-closed client) as the gate sees it.</summary>
public interface IConsentDecider
{
    ValueTask<EdgeConsentDecision> DecideAsync(EdgeConsentRequest request, CancellationToken cancellationToken);
}

/// <summary>Stable reason codes for refused batches (metrics label, audit record, status output).</summary>
public static class GateReasons
{
    public const string MalformedTopic = "malformed-topic";
    public const string MalformedPayload = "malformed-payload";
    public const string DeviceMismatch = "device-mismatch";
    public const string UnknownDevice = "unknown-device";
    public const string NotAttested = "not-attested";
    public const string Revoked = "device-revoked";
    public const string Unbound = "device-unbound";
    public const string ConsentDenied = "consent-denied";
}

/// <summary>The gate's verdict on one batch.</summary>
public abstract record GateOutcome;

/// <summary>The batch may leave: <see cref="Reading"/> is what goes to Kafka (denied samples already removed).</summary>
/// <param name="VerbatimBatch">
/// The device's payload when the batch leaves whole and the payload holds only the contract's members: it may stand
/// for <see cref="RawReading.Batch"/> as it is (<see cref="RawReadingEncoder"/>). Empty otherwise.
/// </param>
public sealed record GateForward(RawReading Reading, bool SkewFlagged, ReadOnlyMemory<byte> VerbatimBatch = default) : GateOutcome;

/// <summary>The batch is refused for <see cref="Reason"/> (one of <see cref="GateReasons"/>); it never leaves the edge.</summary>
public sealed record GateRejected(string Reason, string Detail, string? Device, long? Seq) : GateOutcome;

/// <summary>The payload breaks the contract; it is kept in the local quarantine with <see cref="Detail"/>.</summary>
public sealed record GateQuarantined(string Detail) : GateOutcome
{
    public static string Reason => GateReasons.MalformedPayload;
}
