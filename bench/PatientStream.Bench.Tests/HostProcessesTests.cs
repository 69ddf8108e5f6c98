using System.Diagnostics;
using PatientStream.Bench.EndToEnd;

namespace PatientStream.Bench.Tests;

public sealed class HostProcessesTests
{
    [Fact]
    public void Peak_memory_and_cpu_time_of_a_live_process_come_from_proc()
    {
        var pid = Environment.ProcessId;

        Assert.InRange(HostProcesses.PeakMegabytes(pid), 1, 1_000_000);
        Assert.True(HostProcesses.CpuSeconds(pid) > 0, "a running .NET process has used CPU time");
    }

    [Fact]
    public async Task A_process_that_has_exited_and_been_reaped_has_no_figures()
    {
        int pid;
        using (var gone = Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            pid = gone.Id;
        }

        Assert.True(double.IsNaN(HostProcesses.PeakMegabytes(pid)));
        Assert.Equal(0, HostProcesses.CpuSeconds(pid));
    }
}
