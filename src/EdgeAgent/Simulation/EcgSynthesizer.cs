namespace PatientStream.EdgeAgent.Simulation;

/// <summary>
/// A synthetic single-lead ECG: each beat is a sum of Gaussian P, Q, R, S and T waves placed on the cardiac phase
/// (after McSharry et al., 2003), so the trace follows the simulated heart rate beat by beat. Values in mV.
/// </summary>
public sealed class EcgSynthesizer
{
    public const int SampleRateHz = 250;

    // Wave positions (radians of the cardiac cycle), heights (mV) and widths (radians) for P, Q, R, S, T.
    private static readonly double[] s_theta = [-Math.PI / 3, -Math.PI / 12, 0, Math.PI / 12, Math.PI / 2];
    private static readonly double[] s_height = [0.15, -0.12, 1.2, -0.25, 0.3];
    private static readonly double[] s_width = [0.25, 0.1, 0.1, 0.1, 0.4];

    private readonly Random _random;
    private double _phase = -Math.PI;

    public EcgSynthesizer(int seed)
    {
        _random = new Random(seed);
    }

    /// <summary>Beats started since creation (R waves passed).</summary>
    public int Beats { get; private set; }

    /// <summary>The next <paramref name="duration"/> of trace at <see cref="SampleRateHz"/>, at <paramref name="heartRate"/> beats/min.</summary>
    public double[] Next(TimeSpan duration, double heartRate)
    {
        var count = (int)Math.Round(duration.TotalSeconds * SampleRateHz);
        var samples = new double[count];
        var step = 2 * Math.PI * heartRate / 60.0 / SampleRateHz;
        for (var n = 0; n < count; n++)
        {
            var before = _phase;
            _phase += step;
            if (before < 0 && _phase >= 0)
            {
                Beats++;
            }
            if (_phase >= Math.PI)
            {
                _phase -= 2 * Math.PI;
            }
            double value = 0;
            for (var w = 0; w < s_theta.Length; w++)
            {
                var d = _phase - s_theta[w];
                value += s_height[w] * Math.Exp(-(d * d) / (2 * s_width[w] * s_width[w]));
            }
            samples[n] = Math.Round(value + ((_random.NextDouble() - 0.5) * 0.02), 4);
        }
        return samples;
    }
}
