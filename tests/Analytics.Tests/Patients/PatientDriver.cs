using System.Buffers;
using System.Threading.Channels;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Output;
using PatientStream.Analytics.Patients;

namespace PatientStream.Analytics.Tests.Patients;

/// <summary>Collects what the analytics publish.</summary>
public sealed class RecordingSink : IAnalyticsSink
{
    private readonly Channel<AnalyticsEvent> _events = Channel.CreateUnbounded<AnalyticsEvent>();
    private readonly List<AnalyticsEvent> _all = [];

    public ChannelReader<AnalyticsEvent> Reader => _events.Reader;

    public IReadOnlyList<AnalyticsEvent> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public IEnumerable<RiskAssessed> Risks => All.OfType<RiskAssessed>();

    public IEnumerable<AlertRecord> Alerts => All.OfType<AlertChanged>().Select(a => a.Alert);

    public ValueTask PublishAsync(AnalyticsEvent analyticsEvent, CancellationToken cancellationToken)
    {
        lock (_all)
        {
            _all.Add(analyticsEvent);
        }

        return _events.Writer.WriteAsync(analyticsEvent, cancellationToken);
    }
}

/// <summary>Drives one <see cref="PatientActor"/> directly, the way the runtime does.</summary>
public sealed class PatientDriver
{
    public const string Patient = "patient-1";
    public const string Device = "device-1";
    public static readonly DateTimeOffset Start = new(2026, 11, 2, 6, 0, 0, TimeSpan.Zero);

    private readonly PatientAnalyticsOptions _options;
    private readonly IAnalyticsSink _output;
    private int _observation;

    /// <param name="options">Analytics settings.</param>
    /// <param name="output">Wraps the recording sink, e.g. to store output in FHIR before it is recorded.</param>
    public PatientDriver(PatientAnalyticsOptions? options = null, Func<IAnalyticsSink, IAnalyticsSink>? output = null)
    {
        _options = options ?? new PatientAnalyticsOptions();
        _output = output?.Invoke(Sink) ?? Sink;
        Actor = new PatientActor(Patient, _options, _output);
    }

    public RecordingSink Sink { get; } = new();

    public PatientActor Actor { get; private set; }

    public Task SendAsync(PatientInput input, bool replay = false) =>
        Actor.ReceiveAsync(input, new ActorContext(Patient, replay, CancellationToken.None)).AsTask();

    public Task MeasureAsync(string code, DateTimeOffset time, double value, MeasurementQuality quality = MeasurementQuality.None, string device = Device) =>
        SendAsync(new Measurement(Patient, device, code, time, value, "1", quality, $"Observation/o{++_observation}"));

    /// <summary>A full NEWS2 set at one time.</summary>
    public async Task VitalsAsync(DateTimeOffset time, double rr, double spo2, bool oxygen, double sbp, double pulse, double temperature, int acvpu = 0)
    {
        await MeasureAsync(MeasurementCodes.RespiratoryRate, time, rr);
        await MeasureAsync(MeasurementCodes.OxygenSaturation, time, spo2);
        await MeasureAsync(MeasurementCodes.InhaledOxygenFlowRate, time, oxygen ? 2 : 0);
        await MeasureAsync(MeasurementCodes.SystolicBloodPressure, time, sbp);
        await MeasureAsync(MeasurementCodes.HeartRate, time, pulse);
        await MeasureAsync(MeasurementCodes.LevelOfConsciousness, time, acvpu);
        await MeasureAsync(MeasurementCodes.BodyTemperature, time, temperature);
    }

    /// <summary>Snapshots the actor and continues with a fresh one restored from it, as after passivation.</summary>
    public int Reincarnate()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Actor.WriteSnapshot(buffer);
        Actor = new PatientActor(Patient, _options, _output);
        Actor.RestoreSnapshot(buffer.WrittenSpan);
        return buffer.WrittenCount;
    }
}
