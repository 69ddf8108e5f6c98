namespace PatientStream.EdgeAgent.Simulation;

/// <summary>One moment of a simulated patient's vital signs.</summary>
public sealed record Vitals(
    double HeartRate, double Spo2, double RespiratoryRate, double BodyTemperature,
    double Systolic, double Diastolic, double BodyWeight, double StepsPerSecond);

/// <summary>
/// A patient's physiology: each vital is a baseline plus a mean-reverting random walk (Ornstein–Uhlenbeck), so
/// values wander like real ones and stay plausible. A deteriorating patient drifts, over
/// <see cref="DeteriorationDuration"/> after <see cref="DeteriorationOnset"/>, towards the picture of sepsis that
/// early-warning scores catch: faster heart and breathing, fever, falling saturation and blood pressure.
/// Deterministic for a given seed.
/// </summary>
public sealed class PatientPhysiology
{
    // Change at full deterioration, per vital (HR, SpO2, RR, Temp, SBP, DBP).
    private static readonly double[] s_deterioration = [45, -11, 14, 2.2, -42, -22];
    // Reversion rate (1/s) and noise (units/√s) of the random walk per vital (HR, SpO2, RR, Temp, SBP, DBP).
    private static readonly double[] s_theta = [0.05, 0.02, 0.03, 0.002, 0.02, 0.02];
    private static readonly double[] s_sigma = [1.2, 0.25, 0.35, 0.01, 1.0, 0.7];

    private readonly Random _random;
    private readonly double[] _baseline;
    private readonly double[] _noise = new double[6];
    private readonly double _weight;
    private readonly double _activity;
    private TimeSpan _elapsed;

    public PatientPhysiology(int seed, bool deteriorates, TimeSpan deteriorationDuration, TimeSpan? onset = null)
    {
        _random = new Random(seed);
        _baseline =
        [
            Uniform(62, 88), Uniform(95.5, 99), Uniform(12, 17), Uniform(36.4, 37.1), Uniform(108, 135), Uniform(66, 84),
        ];
        _weight = Uniform(52, 105);
        _activity = Uniform(0.1, 1.2);
        Deteriorates = deteriorates;
        DeteriorationDuration = deteriorationDuration;
        DeteriorationOnset = onset ?? TimeSpan.FromSeconds(Uniform(10, 60));
    }

    public bool Deteriorates { get; }

    public TimeSpan DeteriorationOnset { get; }

    public TimeSpan DeteriorationDuration { get; }

    /// <summary>0 while well, rising to 1 at full deterioration.</summary>
    public double Severity => Deteriorates
        ? Math.Clamp((_elapsed - DeteriorationOnset) / DeteriorationDuration, 0, 1)
        : 0;

    /// <summary>Moves the physiology forward by <paramref name="step"/> and returns the vitals then.</summary>
    public Vitals Advance(TimeSpan step)
    {
        var dt = step.TotalSeconds;
        _elapsed += step;
        for (var i = 0; i < _noise.Length; i++)
        {
            _noise[i] += (-s_theta[i] * _noise[i] * dt) + (s_sigma[i] * Math.Sqrt(dt) * Gaussian());
        }
        var severity = Severity;
        double Value(int i) => _baseline[i] + _noise[i] + (severity * s_deterioration[i]);
        var systolic = Value(4);
        var diastolic = Math.Min(Value(5), systolic - 15);
        return new Vitals(
            HeartRate: Math.Clamp(Value(0), 30, 220),
            Spo2: Math.Clamp(Value(1), 60, 100),
            RespiratoryRate: Math.Clamp(Value(2), 4, 50),
            BodyTemperature: Math.Clamp(Value(3), 34, 42.5),
            Systolic: Math.Clamp(systolic, 60, 240),
            Diastolic: Math.Clamp(diastolic, 30, 150),
            BodyWeight: _weight + (0.05 * _noise[0] / s_sigma[0]),
            StepsPerSecond: severity > 0.3 ? 0 : _activity * (1 - severity));
    }

    private double Uniform(double min, double max) => min + (_random.NextDouble() * (max - min));

    private double Gaussian()
    {
        // Box–Muller: Random has no normal distribution of its own.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
