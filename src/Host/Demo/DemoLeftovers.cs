using System.Diagnostics;
using System.Globalization;

namespace PatientStream.Host.Demo;

/// <summary>
/// Children of an earlier demo on the same data folder that outlived it (the demo itself was killed with SIGKILL):
/// their pid files are still there. They are killed before the folder is reused, but only when the process's
/// command line names this data folder, so a recycled pid never hits an unrelated process.
/// </summary>
internal static class DemoLeftovers
{
    public static void Stop(DemoLayout layout)
    {
        if (!Directory.Exists(layout.Pids))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(layout.Pids, "*.pid"))
        {
            if (!int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            var commandLine = $"/proc/{pid}/cmdline";
            if (!File.Exists(commandLine) || !File.ReadAllText(commandLine).Contains(layout.Root, StringComparison.Ordinal))
            {
                continue;
            }
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (ArgumentException)
            {
                // gone meanwhile
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}
