// SPDX-License-Identifier: MIT
/*
 * Run under `iommufd-emu run`: checks that an unmodified program finds the
 * emulator where the kernel's files are.  /dev/iommu opens and answers,
 * stat and fstat report the character device that /sys/class/misc/iommu/dev
 * names, access and opendir see the emulated paths.  Exit status: the
 * number of the first failed check, 0 when all pass.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "iommufd_emu/uapi/iommufd.h"

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
	return 0;
}
