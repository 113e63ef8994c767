using System.Globalization;

namespace ModelRegistry.Benchmarks.Harness;

internal static class Summary
{
    public static void Print(IReadOnlyList<ResultRow> rows)
    {
        string[] header = ["figure", "measured", "baseline", "ratio", "goal", "result"];
        var lines = rows.Select(r => new[]
        {
            r.Name,
            $"{Number(r.Measured)} {r.Unit}",
            r.Baseline is { } b ? $"{Number(b)} {r.Unit}" : "-",
            r.Ratio is { } ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "-",
            r.Goal?.ToString() ?? "-",
            r.Met switch { true => "PASS", false => "BELOW", null => "-" },
        }).Prepend(header).ToList();
        var widths = header.Select((_, i) => lines.Max(l => l[i].Length)).ToArray();

        foreach (var line in lines)
        {
            Console.WriteLine(string.Join("  ", line.Select((cell, i) => i is 0 or 5 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        }
    }

    public static string Number(double value) => value.ToString(value >= 100 ? "#,0" : "0.##", CultureInfo.InvariantCulture);
}
