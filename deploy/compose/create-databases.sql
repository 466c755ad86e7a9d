-- One database per service, as `make run` creates them on a development machine.
CREATE DATABASE catalogue;
CREATE DATABASE bookings;
CREATE DATABASE notifications;
CREATE DATABASE console;
