using PatientStream.Testing;

namespace PatientStream.EndToEnd.Tests;

public sealed class DemoCommandLineTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Fewer_than_four_patients_is_refused_with_exit_code_2()
    {
        using var data = new TempFolder("e2e-args");
        await using var demo = DemoProcess.Start(data.Combine("demo"), "--patients", "3");

        await demo.Exited.WaitAsync(s_deadline);

        Assert.Equal(2, demo.ExitCode);
        Assert.Contains("--patients must be 4..10000", demo.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data.Combine("demo")));
    }

    [Fact]
    public async Task A_non_empty_folder_the_demo_did_not_make_is_refused_and_left_untouched()
    {
        using var data = new TempFolder("e2e-foreign");
        var precious = data.Combine("patient-notes.txt");
        await File.WriteAllTextAsync(precious, "not the demo's");
        await using var demo = DemoProcess.Start(data.Path, "--patients", "4");

        await demo.Exited.WaitAsync(s_deadline);

        Assert.Equal(1, demo.ExitCode);
        Assert.Contains("was not made by a demo run", demo.Output, StringComparison.Ordinal);
        Assert.Equal(["patient-notes.txt"], Directory.EnumerateFileSystemEntries(data.Path).Select(Path.GetFileName));
        Assert.Empty(demo.ProcessesUsingDataDirectory());
    }
}
