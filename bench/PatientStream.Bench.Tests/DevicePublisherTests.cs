using PatientStream.Bench.EndToEnd;
using PatientStream.EdgeAgent.Gate;

namespace PatientStream.Bench.Tests;

public sealed class DevicePublisherTests
{
    [Fact]
    public async Task Regular_batches_keep_the_device_contract_and_no_two_samples_of_a_type_share_a_time()
    {
        await using var publisher = new DevicePublisher(1883, DevicePublisher.DeviceNames(3), connections: 1);
        var stamp = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

        var batch = publisher.Batch(2, stamp, seq: 7);

        Assert.Null(BatchContract.Check(batch));
        Assert.Equal("bench-dev-0002", batch.Device);
        Assert.Equal(DevicePublisher.SamplesPerBatch, batch.Samples.Count);
        Assert.All(batch.Samples, s => Assert.InRange(s.Time, stamp.AddMilliseconds(-3), stamp));
        Assert.Equal(batch.Samples.Count, batch.Samples.Select(s => (s.Type, s.Time)).Distinct().Count());
    }
}
