#ifndef ORBL_VERSION_H
#define ORBL_VERSION_H
#define ORBL_VERSION	"0.1.0"
#endif
