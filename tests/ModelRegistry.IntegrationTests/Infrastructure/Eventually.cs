namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>Polls until a condition holds, failing with its description after the deadline.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, Func<string>? describe = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The condition did not hold in time: {describe?.Invoke()}");
            }

            await Task.Delay(20);
        }
    }
}
