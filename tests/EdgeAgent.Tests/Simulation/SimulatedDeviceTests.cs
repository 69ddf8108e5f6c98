using PatientStream.EdgeAgent.Gate;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests.Simulation;

public sealed class SimulatedDeviceTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    private static DeviceBatch Parse(SimulatedPublication publication)
    {
        Assert.True(ContractsJson.TryParse(publication.Payload, out DeviceBatch? batch, out var error), error);
        Assert.Null(BatchContract.Check(batch!));
        return batch!;
    }

    private static List<DeviceStep> Run(SimulatedDevice device, int ticks) =>
        Enumerable.Range(1, ticks).Select(i => device.Next(s_start.AddSeconds(i))).ToList();

    [Fact]
    public void A_clean_device_publishes_one_contract_batch_per_tick_with_every_vital_in_turn()
    {
        var device = new SimulatedDevice("sim-0001", 1, new SimulatorOptions { Ecg = true }, "sim-0002");

        var steps = Run(device, 61);

        Assert.All(steps, s => Assert.False(s.Disconnect));
        var batches = steps.Select(s => Parse(Assert.Single(s.Publications))).ToList();
        Assert.Equal(Enumerable.Range(1, 61).Select(i => (long)i), batches.Select(b => b.Seq));
        Assert.All(batches, b => Assert.Equal("sim-0001", b.Device));
        Assert.All(batches, b => Assert.Contains(b.Samples, s => s.Type == "heart-rate" && s.Unit == "/min"));
        Assert.All(batches, b => Assert.Equal(250, b.Samples.Single(s => s.Type == "ecg").Data!.Count));
        var types = batches.SelectMany(b => b.Samples).Select(s => s.Type).ToHashSet();
        Assert.Superset(new HashSet<string> { "heart-rate", "spo2", "respiratory-rate", "body-temperature", "systolic", "diastolic", "body-weight", "steps", "ecg" }, types);
        Assert.Equal(s_start.AddSeconds(1), batches[0].Sent);
    }

    [Fact]
    public void Every_fault_is_injected_and_no_batch_is_lost_by_it()
    {
        var options = new SimulatorOptions { Faults = SimulatorFaults.All, FaultRate = 0.5, Seed = 5 };
        var device = new SimulatedDevice("sim-0001", 1, options, "sim-0002");

        var steps = Run(device, 400);
        var publications = steps.SelectMany(s => s.Publications).Append(device.TakeHeld()).OfType<SimulatedPublication>().ToList();

        var faults = publications.Select(p => p.Fault).Where(f => f != SimulatorFaults.None).ToHashSet();
        Assert.Equal(6, faults.Count);
        Assert.Contains(steps, s => s.Disconnect);
        var own = publications.Where(p => p.Topic == device.Topic && p.Fault != SimulatorFaults.Garbage).Select(Parse).ToList();
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), own.Select(b => b.Seq).Distinct().Order());
        Assert.True(own.Count > own.Select(b => b.Seq).Distinct().Count(), "duplicates are published");
        Assert.Contains(own.Zip(own.Skip(1)), pair => pair.Second.Seq < pair.First.Seq);
        Assert.All(publications.Where(p => p.Fault == SimulatorFaults.Garbage),
            p => Assert.False(ContractsJson.TryParse(p.Payload, out DeviceBatch? _, out _)));
        Assert.All(publications.Where(p => p.Fault == SimulatorFaults.SpoofedTopic), p =>
        {
            Assert.Equal("ps/v1/devices/sim-0002/readings", p.Topic);
            Assert.Equal("sim-0001", Parse(p).Device);
        });
        Assert.Contains(own, b => Math.Abs((b.Sent - s_start).TotalSeconds - b.Seq) > 60);
        Assert.Contains(own.SelectMany(b => b.Samples), s => s.Unit is "[degF]" or "kPa" or "[lb_av]");
    }

    [Fact]
    public void Named_deteriorating_devices_are_exactly_the_ones_that_deteriorate_from_the_chosen_onset()
    {
        var options = new SimulatorOptions
        {
            DeterioratingShare = 1, DeterioratingDevices = new HashSet<string> { "sim-0002" },
            DeteriorationOnset = TimeSpan.FromSeconds(5), DeteriorationDuration = TimeSpan.FromSeconds(20),
        };
        var devices = Enumerable.Range(0, 4).Select(i => new SimulatedDevice($"sim-{i:D4}", i, options, null)).ToList();

        Assert.Equal(["sim-0002"], devices.Where(d => d.Physiology.Deteriorates).Select(d => d.DeviceId));
        var patient = devices[2].Physiology;
        Assert.Equal(TimeSpan.FromSeconds(5), patient.DeteriorationOnset);
        Run(devices[2], 5);
        Assert.Equal(0, patient.Severity);
        Run(devices[2], 25);
        Assert.Equal(1, patient.Severity);
    }

    [Fact]
    public void Fault_names_parse_and_unknown_ones_are_refused_with_the_valid_list()
    {
        Assert.Equal(SimulatorFaults.Duplicates | SimulatorFaults.SpoofedTopic, SimulatorFaultNames.Parse("duplicates, spoofed-topic"));
        Assert.Equal(SimulatorFaults.All, SimulatorFaultNames.Parse("all"));
        Assert.Equal(SimulatorFaults.None, SimulatorFaultNames.Parse(""));
        var error = Assert.Throws<ArgumentException>(() => SimulatorFaultNames.Parse("duplicates,meteor"));
        Assert.Contains("out-of-order", error.Message, StringComparison.Ordinal);
    }
}
