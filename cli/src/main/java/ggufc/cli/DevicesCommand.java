package ggufc.cli;

import ggufc.runtime.device.Devices;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"List the devices `run --device` can use (cpu, OpenCL devices of every platform, CUDA GPUs), and why a driver is not usable."})
final class DevicesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (String line : Devices.describe()) System.out.println(line);
        return 0;
    }
}
