// SPDX-License-Identifier: MIT
/*
 * Run under `iommufd-emu run`: checks that an unmodified program finds the
 * emulator where the kernel's files are.  /dev/iommu opens and answers,
 * stat and fstat report the character device that /sys/class/misc/iommu/dev
 * names, access and opendir see the emulated paths; the same for the cdev
 * of the edu device (run --device edu) and the sysfs files that lead from
 * its PCI address to it.  Exit status: the number of the first failed
 * check, 0 when all pass.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "iommufd_emu/uapi/iommufd.h"

#define EDU_SYSFS "/sys/bus/pci/devices/0000:00:04.0"

static int check_device(void)
{
	unsigned int maj, min, vendor;
	struct stat st, fst;
	FILE *f = fopen(EDU_SYSFS "/vfio-dev/vfio0/dev", "r");
	int fd;

	if (!f || fscanf(f, "%u:%u", &maj, &min) != 2)
		return 10;
	fclose(f);
	f = fopen(EDU_SYSFS "/vendor", "r");
	if (!f || fscanf(f, "%x", &vendor) != 1 || vendor != 0x1234)
		return 11;
	fclose(f);
	if (stat("/dev/vfio/devices/vfio0", &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(maj, min))
		return 12;
	fd = open("/dev/vfio/devices/vfio0", O_RDWR);
	if (fd < 0 || fstat(fd, &fst) || fst.st_rdev != st.st_rdev)
		return 13;
	close(fd);
	return access("/sys/class/vfio-dev/vfio0/dev", R_OK) ? 14 : 0;
}

int main(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	unsigned int maj, min;
	struct stat st, fst;
	FILE *f = fopen("/sys/class/misc/iommu/dev", "r");
	DIR *d;
	int fd;

	if (!f || fscanf(f, "%u:%u", &maj, &min) != 2)
		return 1;
	fclose(f);
	if (stat("/dev/iommu", &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(maj, min))
		return 2;
	if (access("/dev/iommu", R_OK | W_OK))
		return 3;
	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0)
		return 4;
	if (fstat(fd, &fst) || !S_ISCHR(fst.st_mode) || fst.st_rdev != st.st_rdev)
		return 5;
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a) || a.out_ioas_id != 1)
		return 6;
	d = opendir("/dev/vfio/devices");
	if (!d)
		return 7;
	closedir(d);
	close(fd);
	return check_device();
}
