using PatientStream.EdgeAgent.Simulation;

namespace PatientStream.EdgeAgent.Tests.Simulation;

public sealed class PhysiologyTests
{
    private static List<Vitals> Run(PatientPhysiology patient, int seconds) =>
        Enumerable.Range(0, seconds).Select(_ => patient.Advance(TimeSpan.FromSeconds(1))).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_well_patient_stays_within_normal_ranges_for_an_hour(int seed)
    {
        var vitals = Run(new PatientPhysiology(seed, deteriorates: false, TimeSpan.FromMinutes(10)), 3600);

        Assert.All(vitals, v =>
        {
            Assert.InRange(v.HeartRate, 40, 120);
            Assert.InRange(v.Spo2, 90, 100);
            Assert.InRange(v.RespiratoryRate, 6, 26);
            Assert.InRange(v.BodyTemperature, 35.5, 38);
            Assert.InRange(v.Systolic, 85, 165);
            Assert.True(v.Diastolic < v.Systolic - 10);
            Assert.InRange(v.BodyWeight, 50, 110);
        });
    }

    [Fact]
    public void A_deteriorating_patient_drifts_towards_sepsis_within_minutes()
    {
        var patient = new PatientPhysiology(7, deteriorates: true, TimeSpan.FromMinutes(5), onset: TimeSpan.FromMinutes(1));

        var before = Run(patient, 60);
        Assert.Equal(0, patient.Severity);
        var during = Run(patient, 300);
        var after = Run(patient, 120);

        Assert.Equal(1, patient.Severity);
        Assert.True(after.Average(v => v.HeartRate) > before.Average(v => v.HeartRate) + 30);
        Assert.True(after.Average(v => v.RespiratoryRate) > before.Average(v => v.RespiratoryRate) + 9);
        Assert.True(after.Average(v => v.Spo2) < before.Average(v => v.Spo2) - 7);
        Assert.True(after.Average(v => v.Systolic) < before.Average(v => v.Systolic) - 30);
        Assert.True(after.Average(v => v.BodyTemperature) > before.Average(v => v.BodyTemperature) + 1.5);
        Assert.True(during.Average(v => v.HeartRate) > before.Average(v => v.HeartRate));
        Assert.All(after, v => Assert.Equal(0, v.StepsPerSecond));
    }

    [Fact]
    public void The_same_seed_gives_the_same_patient()
    {
        var a = Run(new PatientPhysiology(11, true, TimeSpan.FromMinutes(2)), 200);
        var b = Run(new PatientPhysiology(11, true, TimeSpan.FromMinutes(2)), 200);

        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(60, 10)]
    [InlineData(72, 10)]
    [InlineData(150, 4)]
    public void The_ECG_runs_at_250_Hz_with_one_R_wave_per_beat(double heartRate, int seconds)
    {
        var ecg = new EcgSynthesizer(3);

        var trace = Enumerable.Range(0, seconds).SelectMany(_ => ecg.Next(TimeSpan.FromSeconds(1), heartRate)).ToArray();

        Assert.Equal(seconds * 250, trace.Length);
        var expectedBeats = heartRate / 60 * seconds;
        Assert.InRange(ecg.Beats, Math.Floor(expectedBeats) - 1, Math.Ceiling(expectedBeats));
        Assert.InRange(trace.Max(), 1.0, 1.4);
        Assert.InRange(trace.Min(), -0.5, -0.1);
    }
}
