using System.Security.Cryptography.X509Certificates;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>Issues a device its operational certificate (CN = device id) after attestation.</summary>
public interface IDeviceEnrollment
{
    Task<X509Certificate2> EnrollAsync(string deviceId, CancellationToken cancellationToken);
}

/// <summary>Settings of <c>patientstream simulate</c>. <see cref="Validate"/> names the first bad setting.</summary>
public sealed record SimulatorOptions
{
    public int Patients { get; init; } = 10;

    public string BrokerHost { get; init; } = "127.0.0.1";

    public int BrokerPort { get; init; } = 1883;

    /// <summary>When set, devices connect over TLS with their own certificate; the broker's chain must lead to this CA.</summary>
    public X509Certificate2? BrokerCa { get; init; }

    /// <summary>Hostname the broker certificate carries (defaults to <see cref="BrokerHost"/>).</summary>
    public string? BrokerTlsName { get; init; }

    /// <summary>Device ids are "{prefix}-0000", "{prefix}-0001", ...</summary>
    public string DevicePrefix { get; init; } = "sim";

    /// <summary>Time between two batches of one device.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Batches per device before it stops; 0 runs until cancelled.</summary>
    public int BatchesPerDevice { get; init; }

    /// <summary>Adds a 250 Hz ECG waveform to every batch.</summary>
    public bool Ecg { get; init; }

    /// <summary>Share of patients who deteriorate during the run (ignored when <see cref="DeterioratingDevices"/> is set).</summary>
    public double DeterioratingShare { get; init; } = 0.1;

    /// <summary>When set, exactly these devices' patients deteriorate and every other patient stays well.</summary>
    public IReadOnlySet<string>? DeterioratingDevices { get; init; }

    /// <summary>Time from start until a deteriorating patient starts to worsen; null draws 10–60 s per patient.</summary>
    public TimeSpan? DeteriorationOnset { get; init; }

    /// <summary>How long a deteriorating patient takes from well to fully deteriorated.</summary>
    public TimeSpan DeteriorationDuration { get; init; } = TimeSpan.FromMinutes(10);

    public SimulatorFaults Faults { get; init; }

    /// <summary>Probability per batch that one of the enabled faults is injected.</summary>
    public double FaultRate { get; init; } = 0.05;

    public int Seed { get; init; } = 42;

    public void Validate()
    {
        static void Check(bool ok, string name, string why)
        {
            if (!ok)
            {
                throw new ArgumentException($"SimulatorOptions.{name}: {why}", name);
            }
        }
        Check(Patients is > 0 and <= 100_000, nameof(Patients), "must be 1..100000.");
        Check(!string.IsNullOrWhiteSpace(BrokerHost), nameof(BrokerHost), "is required.");
        Check(BrokerPort is > 0 and < 65536, nameof(BrokerPort), "must be 1..65535.");
        Check(!string.IsNullOrWhiteSpace(DevicePrefix) && !DevicePrefix.Contains('/', StringComparison.Ordinal)
            && !DevicePrefix.Contains('+', StringComparison.Ordinal) && !DevicePrefix.Contains('#', StringComparison.Ordinal),
            nameof(DevicePrefix), "must be non-empty without '/', '+' or '#'.");
        Check(Interval >= TimeSpan.FromMilliseconds(10), nameof(Interval), "must be at least 10 ms.");
        Check(BatchesPerDevice >= 0, nameof(BatchesPerDevice), "must not be negative.");
        Check(DeterioratingShare is >= 0 and <= 1, nameof(DeterioratingShare), "must be 0..1.");
        Check(DeteriorationDuration > TimeSpan.Zero, nameof(DeteriorationDuration), "must be positive.");
        Check(DeteriorationOnset is null || DeteriorationOnset >= TimeSpan.Zero, nameof(DeteriorationOnset), "must not be negative.");
        Check(FaultRate is >= 0 and <= 1, nameof(FaultRate), "must be 0..1.");
    }
}
