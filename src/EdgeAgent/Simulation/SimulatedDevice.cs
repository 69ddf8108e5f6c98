using System.Text;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>One MQTT publication a device makes, and the fault it carries (null for a clean batch).</summary>
public sealed record SimulatedPublication(string Topic, byte[] Payload, SimulatorFaults Fault, long? Seq);

/// <summary>What a device does on one tick: publish these, and maybe drop its connection first.</summary>
public sealed record DeviceStep(IReadOnlyList<SimulatedPublication> Publications, bool Disconnect);

/// <summary>
/// A simulated multi-parameter wearable: every tick it measures heart rate, SpO2 and respiratory rate, every 30th
/// tick temperature and blood pressure, every 60th tick weight and steps, and optionally an ECG strip covering the
/// tick. Faults are injected here, so the same device logic runs with or without a broker.
/// </summary>
public sealed class SimulatedDevice
{
    private readonly SimulatorOptions _options;
    private readonly Random _random;
    private readonly EcgSynthesizer? _ecg;
    private readonly string? _otherDevice;
    private SimulatedPublication? _held;
    private TimeSpan _clockSkew;
    private double _steps;
    private long _tick;

    public SimulatedDevice(string deviceId, int index, SimulatorOptions options, string? otherDevice)
    {
        ArgumentNullException.ThrowIfNull(options);
        DeviceId = deviceId;
        _options = options;
        _otherDevice = otherDevice;
        // HashCode is seeded per process: a run must be the same in every process for the same --seed.
        var seed = unchecked((options.Seed * 1_000_003) ^ (index * 7_919));
        _random = new Random(seed);
        // Drawn even when the devices are named, so the rest of the device's random sequence stays the same.
        var drawn = _random.NextDouble() < options.DeterioratingShare;
        var deteriorates = options.DeterioratingDevices is { } named ? named.Contains(deviceId) : drawn;
        Physiology = new PatientPhysiology(seed, deteriorates, options.DeteriorationDuration, options.DeteriorationOnset);
        _ecg = options.Ecg ? new EcgSynthesizer(seed) : null;
    }

    public string DeviceId { get; }

    public string Topic => $"ps/v1/devices/{DeviceId}/readings";

    public PatientPhysiology Physiology { get; }

    /// <summary>The seq of the last batch built.</summary>
    public long Seq { get; private set; }

    /// <summary>Measures one interval ending at <paramref name="now"/> and returns what to publish.</summary>
    public DeviceStep Next(DateTimeOffset now)
    {
        _tick++;
        var vitals = Physiology.Advance(_options.Interval);
        _steps += vitals.StepsPerSecond * _options.Interval.TotalSeconds;
        var fault = PickFault();
        if (fault == SimulatorFaults.ClockSkew)
        {
            var minutes = 2 + (_random.NextDouble() * 8);
            _clockSkew = TimeSpan.FromMinutes(_random.Next(2) == 0 ? -minutes : minutes);
        }
        var deviceNow = now + _clockSkew;
        var batch = new DeviceBatch
        {
            Device = DeviceId,
            Seq = ++Seq,
            Sent = deviceNow,
            Samples = Samples(vitals, deviceNow, fault == SimulatorFaults.WrongUnits),
        };
        var clean = new SimulatedPublication(Topic, ContractsJson.Serialize(batch), fault is SimulatorFaults.ClockSkew or SimulatorFaults.WrongUnits ? fault : SimulatorFaults.None, batch.Seq);
        var publications = new List<SimulatedPublication>(3);
        switch (fault)
        {
            case SimulatorFaults.OutOfOrder when _held is null:
                _held = clean with { Fault = SimulatorFaults.OutOfOrder };
                return new DeviceStep([], false);
            case SimulatorFaults.Duplicates:
                publications.Add(clean);
                publications.Add(clean with { Fault = SimulatorFaults.Duplicates });
                break;
            case SimulatorFaults.Garbage:
                publications.Add(clean);
                publications.Add(new SimulatedPublication(Topic, Garbage(), SimulatorFaults.Garbage, null));
                break;
            case SimulatorFaults.SpoofedTopic when _otherDevice is not null:
                publications.Add(clean);
                publications.Add(clean with { Topic = $"ps/v1/devices/{_otherDevice}/readings", Fault = SimulatorFaults.SpoofedTopic });
                break;
            default:
                publications.Add(clean);
                break;
        }
        if (_held is not null && fault != SimulatorFaults.OutOfOrder)
        {
            publications.Add(_held);
            _held = null;
        }
        return new DeviceStep(publications, fault == SimulatorFaults.Disconnects);
    }

    /// <summary>A batch held back for out-of-order delivery, to publish before stopping.</summary>
    public SimulatedPublication? TakeHeld()
    {
        var held = _held;
        _held = null;
        return held;
    }

    private SimulatorFaults PickFault()
    {
        if (_options.Faults == SimulatorFaults.None || _random.NextDouble() >= _options.FaultRate)
        {
            return SimulatorFaults.None;
        }
        var enabled = Enum.GetValues<SimulatorFaults>()
            .Where(f => f is not SimulatorFaults.None and not SimulatorFaults.All && _options.Faults.HasFlag(f))
            .ToArray();
        return enabled[_random.Next(enabled.Length)];
    }

    private List<Sample> Samples(Vitals v, DateTimeOffset at, bool wrongUnits)
    {
        var samples = new List<Sample>(9)
        {
            Scalar("heart-rate", at, Math.Round(v.HeartRate), "/min"),
            Scalar("spo2", at, Math.Round(v.Spo2), "%"),
            Scalar("respiratory-rate", at, Math.Round(v.RespiratoryRate), "/min"),
        };
        // A wrong-units fault always carries the spot measurements, so the fault is in the batch it is reported for.
        if (_tick % 30 == 1 || wrongUnits)
        {
            samples.Add(wrongUnits
                ? Scalar("body-temperature", at, Math.Round((v.BodyTemperature * 9 / 5) + 32, 1), "[degF]")
                : Scalar("body-temperature", at, Math.Round(v.BodyTemperature, 1), "Cel"));
            var toUnit = wrongUnits ? 1 / 7.500615758 : 1;
            var unit = wrongUnits ? "kPa" : "mm[Hg]";
            samples.Add(Scalar("systolic", at, Math.Round(v.Systolic * toUnit, wrongUnits ? 2 : 0), unit));
            samples.Add(Scalar("diastolic", at, Math.Round(v.Diastolic * toUnit, wrongUnits ? 2 : 0), unit));
        }
        if (_tick % 60 == 1)
        {
            samples.Add(wrongUnits
                ? Scalar("body-weight", at, Math.Round(v.BodyWeight / 0.45359237, 1), "[lb_av]")
                : Scalar("body-weight", at, Math.Round(v.BodyWeight, 1), "kg"));
            samples.Add(Scalar("steps", at, Math.Floor(_steps), "{steps}"));
            _steps -= Math.Floor(_steps);
        }
        if (_ecg is not null)
        {
            samples.Add(new Sample
            {
                Type = "ecg",
                Time = at - _options.Interval,
                PeriodMs = 1000.0 / EcgSynthesizer.SampleRateHz,
                Data = _ecg.Next(_options.Interval, v.HeartRate),
                Unit = "mV",
            });
        }
        return samples;
    }

    private static Sample Scalar(string type, DateTimeOffset at, double value, string unit) =>
        new() { Type = type, Time = at, Value = value, Unit = unit };

    private byte[] Garbage()
    {
        if (_random.Next(2) == 0)
        {
            var bytes = new byte[_random.Next(1, 200)];
            _random.NextBytes(bytes);
            return bytes;
        }
        var json = Encoding.UTF8.GetBytes($$"""{"v":1,"device":"{{DeviceId}}","seq":{{Seq}},"samples":[{"type":"heart-""");
        return json;
    }
}
